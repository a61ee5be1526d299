// TrainCommand: `ringtrain train CONFIG` — checks the config, prepares the run folder and
// trains (in this process for one rank, under mpirun for several).
import ArgumentParser
import Coordinator
import Foundation
import Logging
import Worker

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the job of a config file.",
        discussion: """
            Examples:
              ringtrain train cluster.yaml --set job.epochs=3 --json
              ringtrain train cluster.yaml --ranks 2 --run-dir runs/two
              ringtrain train cluster.yaml --run-dir runs/two --resume   (continue after an interruption)
            Exit codes: 0 done, 1 failed, 2 bad config or data, 3 interrupted after saving a checkpoint.
            """)

    @Argument(help: "The config file (YAML with a job: section).")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set job.epochs=5 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Run folder (default runs/<job name>-<timestamp>).")
    var runDir: String?

    @Flag(help: "Print one JSON object per epoch and a final one.")
    var json = false

    @Option(parsing: .unconditional, help: "Number of ranks (default job.ranks); more than one starts mpirun.")
    var ranks: Int?

    @Flag(help: "Continue from the newest valid checkpoint in --run-dir.")
    var resume = false

    @Flag(help: "With --resume: start the optimizer state from zero if the checkpoint's optimizer tensors do not match the configured optimizer (instead of refusing).")
    var resetOptimizer = false

    @Flag(help: "Record a timeline of every rank's steps (as job.timeline: true); `ringtrain timeline RUN_DIR` merges it into a Chrome trace.")
    var timeline = false

    @Option(parsing: .unconditional, help: "Stop with a checkpoint after N epochs (N evaluations with job.steps), exit 3; `ringtrain resume` goes on (as job.stop_after: N).")
    var stopAfter: Int?

    @Option(parsing: .unconditional, help: .hidden) var traceSteps: Int?

    /// Set by the sweep for its trials, whose configs it wrote.
    @Flag(help: .hidden) var noConfigWarnings = false
    @Option(help: .hidden) var dumpParameters: String?
    @OptionGroup var slurm: SlurmRequeueOption
    @OptionGroup(visibility: .hidden) var testHooks: TestHookOptions

    func validate() throws {
        if resume && runDir == nil { throw ValidationError("--resume needs --run-dir (the folder of the run to continue)") }
        if resetOptimizer && !resume { throw ValidationError("--reset-optimizer applies to --resume only") }
        try checkTrainingOptions(ranks: ranks, stopAfter: stopAfter)
        if let traceSteps, traceSteps < 1 { throw ValidationError(StepTrace.belowOne(traceSteps)) }
    }

    func run() throws {
        keepGoingWithoutOutput()
        try exitOnUserError {
            var allOverrides = overrides
            if let ranks { allOverrides.append("job.ranks=\(ranks)") }
            if timeline { allOverrides.append("job.timeline=true") }
            if let stopAfter { allOverrides.append("job.stop_after=\(stopAfter)") }
            let loaded = try RunConfig.load(path: config, overrides: allOverrides)
            if !noConfigWarnings { printWarnings(loaded) }
            guard loaded.hasJob else { throw ConfigError(file: config, keyPath: "job", message: "this config has no job section to train") }
            try SlurmRequeueOption.checkStopAfter(loaded.job, requeue: slurm.slurmRequeue, file: config)
            _ = try loaded.sweepSpec()   // a broken sweep section is a broken config, even when only the job is trained
            Log.logger.debug("\(config): job \(loaded.job.name), config hash \(ResolvedConfig.hash(job: loaded.job))")
            try TrainingLaunch.checkBeforeLaunch(loaded)   // before a default run folder is made
            var options = RankOptions(configPath: config)
            options.runDirectory = try runDir ?? RunFolder.makeDefault(for: loaded.job)
            options.overrides = allOverrides
            (options.json, options.resume, options.resetOptimizer) = (json, resume, resetOptimizer)
            (options.traceSteps, options.dumpParameters) = (traceSteps, dumpParameters)
            options.testHooks = try testHooks.hooks()
            try launchTraining(loaded, options, slurm: slurm)
        }
    }
}
