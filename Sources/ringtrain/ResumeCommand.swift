// ResumeCommand: `ringtrain resume RUN_DIR` — continues whatever the run folder holds: a sweep
// (sweep.sqlite) or a training run (its resolved.yaml and newest valid checkpoint).
import ArgumentParser
import Coordinator
import Foundation

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue an interrupted training run or sweep from its run folder.",
        discussion: """
            Example: ringtrain resume runs/fashion-mlp-20261124-031500
            Exit codes: 0 done, 1 failed, 2 bad config, data, folder or checkpoint, 3 interrupted after saving a checkpoint.
            """)

    @Argument(help: "The run folder (holds resolved.yaml and checkpoints/, or sweep.sqlite).")
    var runDirectory: String

    @Option(help: "Ranks to continue with (training runs; default: as before). The global batch stays the same.")
    var ranks: Int?

    @Flag(help: "Print JSON lines (training runs).")
    var json = false

    @Option(name: .customLong("set"), help: "Override a value of the run's config, e.g. --set job.epochs=20 or new cluster.hosts (training runs).")
    var overrides: [String] = []

    @Flag(help: "Start the optimizer state from zero if the checkpoint's optimizer tensors do not match the configured optimizer (training runs; default: refuse).")
    var resetOptimizer = false

    func validate() throws {
        if let ranks, ranks < 1 { throw ValidationError("--ranks must be at least 1 (got \(ranks))") }
    }

    func run() throws {
        try exitOnUserError {
            let fm = FileManager.default
            if fm.fileExists(atPath: runDirectory + "/sweep.sqlite") {
                let status = try runSweep(try SweepRunner.recordedConfig(runDirectory: runDirectory), runDirectory: runDirectory)
                if status != 0 { throw ExitCode(status) }
                return
            }
            let resolved = runDirectory + "/resolved.yaml"
            guard fm.fileExists(atPath: resolved) else {
                throw ConfigError(file: runDirectory, keyPath: "", message: "not a run folder: it has neither resolved.yaml nor sweep.sqlite",
                                  hint: "give the folder `ringtrain train` or `ringtrain sweep` printed as its run folder")
            }
            let overrides = self.overrides + (ranks.map { ["job.ranks=\($0)"] } ?? [])
            let config = try RunConfig.load(path: resolved, overrides: overrides)
            var launch = TrainingLaunch(config: config, configPath: resolved, runDirectory: runDirectory)
            launch.overrides = overrides
            launch.json = json
            launch.resume = true
            launch.resetOptimizer = resetOptimizer
            let status = try launch.run()
            if status != 0 { throw ExitCode(status) }
        }
    }
}
