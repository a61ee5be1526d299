// RankOptions: what every rank of a training run is told when it starts — the config, the run
// folder, how to begin (resume, reset the optimizer) and the test hooks — and its command line.
import Foundation

/// One rank's options, the same on every rank. `ringtrain train`/`resume` fill them from their
/// flags and hand them to the ranks as `ringtrain worker` arguments (`workerArguments`).
public struct RankOptions: Sendable, Codable, Equatable {
    /// The config file rank 0 reads (the other ranks receive the job from rank 0).
    public var configPath: String
    /// `--set key=value` overrides applied to the config (default none).
    public var overrides: [String] = []
    /// Run folder for metrics, checkpoints and the config files (default nil: no files).
    public var runDirectory: String?
    /// Print one JSON object per epoch and a final one instead of text lines (default false).
    public var json = false
    /// Continue from the newest valid checkpoint in the run folder (default false).
    public var resume = false
    /// On resume, start from zero optimizer state when the checkpoint's optimizer tensors do not
    /// match the configured optimizer (default false: refuse).
    public var resetOptimizer = false
    /// Started by `ringtrain train`/`resume`, which owns the run folder (holds its lock) and,
    /// under mpirun, keeps rank 0's standard input open while it lives (default false: rank 0
    /// claims the folder itself).
    public var launched = false
    /// Debug/test mode: run this many optimizer steps, printing per-step loss and a parameter
    /// checksum from every rank (which must agree), instead of whole epochs (default nil).
    public var traceSteps: Int?
    /// Write the final parameters (raw little-endian float32) here, from rank 0 (default nil).
    public var dumpParameters: String?
    /// Injected failures for the tests (default none).
    public var testHooks = RankTestHooks()

    /// Options for `configPath` with `overrides` (default none); every other field its default.
    public init(configPath: String, overrides: [String] = []) { (self.configPath, self.overrides) = (configPath, overrides) }

    /// The run folder's `checkpoints/` folder, if there is a run folder.
    public var checkpointDirectory: String? { runDirectory.map { $0 + "/checkpoints" } }

    /// The arguments after the program that make `ringtrain worker` run with these options.
    public var workerArguments: [String] {
        var arguments = ["worker", configPath]
        if let runDirectory { arguments += ["--run-dir", runDirectory] }
        for o in overrides { arguments += ["--set", o] }
        if json { arguments.append("--json") }
        if resume { arguments.append("--resume") }
        if resetOptimizer { arguments.append("--reset-optimizer") }
        if launched { arguments.append("--launched") }
        if let traceSteps { arguments += ["--trace-steps", "\(traceSteps)"] }
        if let dumpParameters { arguments += ["--dump-parameters", dumpParameters] }
        return arguments + testHooks.arguments
    }

    /// The failure timeout before the config is known: the last valid `cluster.failure_timeout`
    /// override, else the default (`RankSettings.defaultFailureTimeout`).
    public var startupTimeout: Double {
        let prefix = "cluster.failure_timeout="
        let given = overrides.last { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
        guard let given, given >= 1, given <= 86_400 else { return RankSettings.defaultFailureTimeout }
        return given
    }
}
