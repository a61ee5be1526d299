// SweepCommand: `ringtrain sweep CONFIG` — runs the config's sweep (grid, random or bayes) to
// completion in its run folder; running it again, or `ringtrain resume`, continues it.
import ArgumentParser
import Coordinator
import Foundation

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the hyperparameter sweep of a config file.",
        discussion: """
            Example: ringtrain sweep cluster.yaml
            The run folder (default runs/sweep-<job name>) holds sweep.sqlite, one trial-NNNN/ folder per
            trial and, once done, the report. Ctrl-C stops the running trials with a checkpoint (exit 3);
            the same command, or `ringtrain resume RUN_DIR`, continues the sweep.
            """)

    @Argument(help: "The config file (YAML with job: and sweep: sections).")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set sweep.run_cap=4 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Run folder (default runs/sweep-<job name>).")
    var runDir: String?

    @OptionGroup var slurm: SlurmRequeueOption

    func run() throws {
        keepGoingWithoutOutput()
        try exitOnUserError {
            let loaded = try RunConfig.load(path: config, overrides: overrides)
            printWarnings(loaded)
            if loaded.cluster.launcher == .mpirun { try RankPlacement.checkHostfile(loaded.cluster, file: loaded.file.path) }
            slurm.prepare()
            try slurm.finish(try runSweep(loaded, runDirectory: runDir))
        }
    }
}

/// Runs the sweep of a loaded config; returns the exit status (0 done, 3 interrupted). A `runCap`
/// (default none) larger than the sweep's extends it.
func runSweep(_ config: RunConfig, runDirectory: String?, runCap: Int? = nil) throws -> Int32 {
    guard let spec = try config.sweepSpec() else {
        throw ConfigError(file: config.file.path, keyPath: "sweep", message: "this config has no sweep section",
                          hint: "add sweep: {method, metric, parameters, run_cap}, or use `ringtrain train`")
    }
    let name = config.hasJob ? config.job.name : URL(fileURLWithPath: config.file.path).deletingPathExtension().lastPathComponent
    let runner = try SweepRunner(config: config, spec: spec, runDirectory: runDirectory ?? "runs/sweep-\(RunFolder.nameInFolder(name))", runCap: runCap)
    return try runner.run() ? 0 : 3
}
