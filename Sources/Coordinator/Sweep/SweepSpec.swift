// SweepSpec: the checked `sweep:` section — search method, metric and goal, parameters, run cap,
// parallel trials, retries, seed, early termination, and what each trial runs (the job or a program).

/// How a sweep chooses its configurations.
public enum SweepMethod: String, Sendable, Equatable, CaseIterable {
    /// Every combination of the listed values, in a fixed order.
    case grid
    /// Seeded independent draws from each parameter's distribution.
    case random
    /// Bayesian optimisation (a Gaussian-process surrogate).
    case bayes
    /// Population-based training: members trained side by side, the worst copying the best
    /// and changing their hyperparameters at fixed intervals (`population`, `interval`, ...).
    case pbt
}

/// The metric a sweep optimises (`metric: {name: val_loss, goal: minimize}`).
public struct SweepMetric: Sendable, Equatable {
    /// Metric name as the trial reports it, e.g. `val_loss`, `val_acc`, `test_acc`. Required.
    public var name: String
    /// Whether lower or higher is better. Default `.minimize`.
    public var goal: MetricGoal
    public init(name: String, goal: MetricGoal = .minimize) {
        self.name = name
        self.goal = goal
    }
}

/// A whole sweep, as parsed from the `sweep:` section of a config.
public struct SweepSpec: Sendable, Equatable {
    /// Metrics a training job reports (the names `metric.name` may take without a program).
    public static let jobMetrics = ["loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc",
                                    "test_macro_f1", "test_mse", "test_mae", "val_bpb", "test_bpb"]

    /// Search method. Required.
    public var method: SweepMethod
    /// What to optimise. Required (`name`; the goal defaults to minimize).
    public var metric: SweepMetric
    /// The swept parameters, in config order.
    public var space: SearchSpace
    /// The most trials the sweep runs. Required for random and bayes. For grid it defaults to the
    /// number of grid configurations; a smaller `run_cap` runs only the first `run_cap` of them
    /// (grid order), a larger one is lowered to the grid size.
    public var runCap: Int
    /// Trials run at the same time. Default 1.
    public var parallel: Int = 1
    /// Early termination of poorly performing trials (Hyperband-style). Default none.
    public var earlyTerminate: EarlyTerminationSpec? = nil
    /// How many times a failed trial is started again before it counts as failed. Default 1.
    public var maxRetries: Int = 1
    /// Seed of the search strategy's draws (random and bayes). Default 0.
    public var seed: UInt64 = 0
    /// Seconds a trial attempt may run before its supervisor stops it; it is then recorded as
    /// failed with reason `timeout` and retried like any failure. Default nil: no limit.
    public var trialTimeout: Double? = nil
    /// An external program run per trial instead of the job; nil (the default) trains `job`
    /// with the parameters applied as dotted paths into it.
    public var program: SweepProgram? = nil
    /// Ranks of each program trial (`program_ranks`): the program runs on that many ranks under
    /// mpirun (or srun), each told its RANK, WORLD_SIZE, MASTER_ADDR ... Default nil: one process,
    /// started directly. (A training trial's ranks are `job.ranks`.)
    public var programRanks: Int? = nil
    /// Population-based training's settings, with `method: pbt` (then `runCap` is the
    /// population); nil otherwise.
    public var population: PopulationSpec? = nil

    public init(method: SweepMethod, metric: SweepMetric, space: SearchSpace, runCap: Int) {
        self.method = method
        self.metric = metric
        self.space = space
        self.runCap = runCap
    }

    /// Number of distinct configurations when every parameter is discrete (nil otherwise, or
    /// when the count does not fit in an Int).
    public var gridSize: Int? { space.configurationCount }

    /// True when nothing runs or waits for a trial in `status` now: a final status, or paused by
    /// successive halving (a promotion may still wake it). A population member paused between
    /// generations waits for the next one.
    public func isSettled(_ status: TrialStatus) -> Bool {
        status.isFinal || (status == .paused && population == nil)
    }
}

extension SearchSpace {
    /// Number of distinct configurations when every parameter is discrete (constant,
    /// categorical, int_uniform); nil for a space with a continuous parameter or too many
    /// configurations to count in an Int.
    public var configurationCount: Int? {
        var total = 1
        for parameter in parameters {
            guard let n = parameter.distribution.valueCount else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: n)
            if overflow { return nil }
            total = product
        }
        return total
    }
}
