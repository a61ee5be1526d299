// SearchBenchmark: simple regret of Bayesian search against random search on the test functions
// of `SearchProblem`, sequential and with parallel pending trials — what `ringtrain bench search` prints.
import Foundation
import Model

/// One benchmark row: a method at a parallelism on one problem, over several seeds.
public struct SearchBenchmarkResult: Sendable {
    public var problem: String
    public var dimension: Int
    public var method: String
    public var parallel: Int
    public var evaluations: Int
    public var seeds: Int
    /// Simple regret (best value found − global minimum) of every seed, in seed order.
    public var regrets: [Double]
    /// Median wall time of one `suggest` call, in milliseconds.
    public var suggestMilliseconds: Double
    /// Median time of one suggestion given 50 finished observations (Bayesian rows only).
    public var suggestMillisecondsAt50: Double?
    /// Every seed's regret after each evaluation, 1 … `evaluations` (in-process rows; empty otherwise).
    public var regretsByEvaluation: [[Double]] = []

    /// After each evaluation n (1-based index n − 1), the median over seeds of log10 regret:
    /// where sequential and parallel search stand at every budget up to `evaluations`.
    public var medianLog10RegretByEvaluation: [Double] {
        guard let first = regretsByEvaluation.first else { return [] }
        return first.indices.map { n in median(regretsByEvaluation.map { log10(max(SearchBenchmark.regretFloor, $0[n])) }) }
    }

    /// Median over seeds of log10 regret, regrets below `SearchBenchmark.regretFloor` counting as it.
    public var medianLog10Regret: Double { median(regrets.map { log10(max(SearchBenchmark.regretFloor, $0)) }) }
    public var medianRegret: Double { median(regrets) }
    public var maxRegret: Double { regrets.max() ?? .nan }

    public var json: [String: Any] {
        var o: [String: Any] = ["problem": problem, "dimension": dimension, "method": method, "parallel": parallel,
                                "evals": evaluations, "seeds": seeds, "median_log10_regret": medianLog10Regret,
                                "median_regret": medianRegret, "max_regret": maxRegret, "regrets": regrets,
                                "suggest_ms": suggestMilliseconds]
        if let suggestMillisecondsAt50 { o["suggest_ms_at_50"] = suggestMillisecondsAt50 }
        if !regretsByEvaluation.isEmpty { o["median_log10_regret_by_evals"] = medianLog10RegretByEvaluation }
        return o
    }
}

/// Drives a strategy through `suggest(count:history:)` exactly as the sweep runner will, with the
/// objective evaluated in-process (a Swift function instead of a launched program).
public enum SearchBenchmark {
    /// Regrets below this count as it in log10 summaries (as scripts/bench-bayes-vs-skopt).
    public static let regretFloor = 1e-12

    /// Runs `evaluations` trials of `problem` with up to `parallel` pending at once: the oldest
    /// pending trial completes, then the strategy refills the free slots. Returns the best value,
    /// the best after each completion (trials complete in the order they started, so entry n − 1 is
    /// what a run of n evaluations would have found: a strategy's `suggest(count:)` gives the first
    /// of a larger batch's suggestions, so a shorter run's trials are a longer one's first), and the
    /// duration of every suggest call.
    public static func run<S: SearchStrategy>(_ strategy: inout S, problem: SearchProblem, evaluations: Int,
                                              parallel: Int) throws -> (best: Double, bestAfter: [Double], suggestSeconds: [Double]) {
        var history: [TrialObservation] = []
        var pendingOrder: [Int] = []
        var times: [Double] = []
        var bestAfter: [Double] = []
        var completed = 0
        while completed < evaluations {
            let free = min(parallel - pendingOrder.count, evaluations - history.count)
            if free > 0 {
                var configurations: [Configuration] = []
                times.append(try Stopwatch.seconds { configurations = try strategy.suggest(count: free, history: history) })
                for c in configurations {
                    pendingOrder.append(history.count)
                    history.append(TrialObservation(id: history.count, configuration: c, status: .running))
                }
            }
            let done = pendingOrder.removeFirst()
            history[done].metric = problem.value(history[done].configuration)
            history[done].status = .finished
            bestAfter.append(min(bestAfter.last ?? .infinity, history[done].metric!))
            completed += 1
        }
        return (history.compactMap(\.metric).min() ?? .infinity, bestAfter, times)
    }

    /// Median time of one Bayesian suggestion on `problem` after `observations` random finished trials.
    public static func suggestTimeAt(observations: Int, problem: SearchProblem, seed: UInt64, repeats: Int = 5) throws -> Double {
        var sampler = UniformSampler(space: problem.space, seed: seed)
        let history = try sampler.suggest(count: observations, history: []).enumerated().map { i, c in
            TrialObservation(id: i, configuration: c, status: .finished, metric: problem.value(c))
        }
        var times: [Double] = []
        for r in 0..<repeats {
            var strategy = BayesianSearch(space: problem.space, goal: .minimize, seed: seed + UInt64(r))
            times.append(try Stopwatch.seconds { _ = try strategy.suggest(count: 1, history: history) })
        }
        return median(times)
    }

    /// Bayesian search at each of `parallels` and uniform random search on each problem, seeds
    /// 1 … `seeds`, `evaluations` trials a run (default 10 × the problem's dimension).
    public static func measure(problems: [SearchProblem] = SearchProblem.all, evaluations: Int? = nil, seeds: Int = 10,
                               parallels: [Int] = [1, 4]) throws -> [SearchBenchmarkResult] {
        var rows: [SearchBenchmarkResult] = []
        for problem in problems {
            let evals = evaluations ?? 10 * problem.dimension
            let at50 = try suggestTimeAt(observations: 50, problem: problem, seed: 1) * 1000
            func row(_ method: String, parallel: Int, _ make: (UInt64) -> any SearchStrategy) throws -> SearchBenchmarkResult {
                var regrets: [Double] = [], byEvaluation: [[Double]] = [], times: [Double] = []
                for seed in 1...UInt64(seeds) {
                    var strategy = make(seed)
                    let (best, bestAfter, t) = try run(&strategy, problem: problem, evaluations: evals, parallel: parallel)
                    regrets.append(best - problem.minimum)
                    byEvaluation.append(bestAfter.map { $0 - problem.minimum })
                    times += t
                }
                return SearchBenchmarkResult(problem: problem.name, dimension: problem.dimension, method: method,
                                             parallel: parallel, evaluations: evals, seeds: seeds, regrets: regrets,
                                             suggestMilliseconds: median(times) * 1000,
                                             suggestMillisecondsAt50: method == "bayes" ? at50 : nil, regretsByEvaluation: byEvaluation)
            }
            for parallel in parallels {
                rows.append(try row("bayes", parallel: parallel) { BayesianSearch(space: problem.space, goal: .minimize, seed: $0) })
            }
            rows.append(try row("random", parallel: 1) { UniformSampler(space: problem.space, seed: $0) })
        }
        return rows
    }
}

/// The benchmark's random-search baseline: seeded uniform points of the unit cube, decoded.
/// (A stand-in for the sweep's RandomSearch strategy, which lives elsewhere.)
struct UniformSampler: SearchStrategy {
    let mapping: UnitCubeMapping
    let seed: UInt64
    init(space: SearchSpace, seed: UInt64) { (mapping, self.seed) = (UnitCubeMapping(space: space), seed) }

    mutating func suggest(count: Int, history: [TrialObservation]) throws -> [Configuration] {
        var rng = CounterRNG(seed: seed, stream: .search, UInt64(history.count), 0x52414E44)
        return (0..<count).map { _ in mapping.decode((0..<mapping.dimension).map { _ in rng.nextDouble() }) }
    }
}
