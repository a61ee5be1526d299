// RunConfig: a whole config file checked and typed — `cluster`, `job` and (kept as located YAML
// for the sweep planner) `sweep` — the one entry point every command uses to read a config.
import Worker

/// A checked configuration: where to run, what to train, and the optional sweep section.
public struct RunConfig {
    /// The file it came from, overrides applied.
    public let file: ConfigFile
    /// Where and how ranks are launched.
    public let cluster: ClusterSpec
    /// The training job (for a sweep: the base job every trial starts from). A config whose
    /// sweep runs its own program (`sweep.program` / `sweep.command`) may leave `job` out; then
    /// `hasJob` is false and this holds the defaults, which nothing trains.
    public let job: TrainingJob
    /// Whether the config has a `job` section.
    public let hasJob: Bool
    /// The `sweep` section, if any.
    public let sweep: ConfigValue?

    /// Top-level keys a config may have.
    public static let sections = ["cluster", "job", "sweep"]

    /// Reads and checks `path` with `--set` style `overrides`; `dataFiles` says whether the
    /// dataset's files must exist (default `.required`; `.skipped` only where data is never read).
    public static func load(path: String, overrides: [String] = [],
                            dataFiles: DatasetParser.FileCheck = .required) throws -> RunConfig {
        try RunConfig(file: ConfigFile.load(path: path, overrides: overrides), dataFiles: dataFiles)
    }

    /// Checks an already parsed file; `dataFiles` as for `load` (default `.required`).
    public init(file: ConfigFile, dataFiles: DatasetParser.FileCheck = .required) throws {
        self.file = file
        let top = try file.root.table(allowed: RunConfig.sections)
        cluster = try top["cluster"].map(ClusterSpec.parse) ?? ClusterSpec()
        sweep = top["sweep"]
        let runsProgram = (try? sweep?.table(allowed: nil)).map { $0["program"] != nil || $0["command"] != nil } ?? false
        guard let jobValue = top["job"] else {
            guard runsProgram else {
                throw file.root.error("missing required key 'job'", hint: "the job section says what to train: dataset, model, optimizer ...")
            }
            job = TrainingJob(dataset: .fashionMNIST())
            hasJob = false
            return
        }
        job = try JobParser.parse(jobValue, baseDirectory: file.directory, dataFiles: dataFiles)
        hasJob = true
        if let slots = cluster.totalSlots, job.ranks > slots, !cluster.oversubscribe {
            let at = (try? jobValue.table(allowed: JobParser.jobKeys))?["ranks"] ?? jobValue
            throw at.error(
                "\(job.ranks) ranks do not fit the \(slots) slots of cluster.hosts",
                hint: "lower job.ranks, add slots, or set cluster.oversubscribe: true")
        }
        let restarts = cluster.restarts
        if restarts.enabled, job.ranks > 1, restarts.minRanks > job.ranks
            || RestartPlan.ranks(requested: job.ranks, slots: nil, batchSize: job.batchSize, accumulate: job.accumulate,
                                 minRanks: restarts.minRanks) == nil {
            let at = (try? top["cluster"]?.table(allowed: nil))?["restarts"] ?? jobValue
            throw at.error("min_ranks \(restarts.minRanks) leaves no rank count a restart could use: it must be at most job.ranks "
                           + "(\(job.ranks)) and divide batch_size \(job.batchSize) into \(job.accumulate) micro-batch(es) per rank",
                           hint: "lower cluster.restarts.min_ranks (e.g. --set cluster.restarts.min_ranks=1)")
        }
    }
}
