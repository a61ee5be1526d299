// ResumeCommand: `ringtrain resume RUN_DIR` — continues whatever the run folder holds: a sweep
// (sweep.sqlite) or a training run (its resolved.yaml and newest valid checkpoint).
import ArgumentParser
import Coordinator
import Foundation
import Worker

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue an interrupted training run or sweep from its run folder.",
        discussion: """
            Example: ringtrain resume runs/fashion-mlp-20261124-031500
            A sweep continues as it was started; of the options only --set sweep.run_cap=N applies (it extends the sweep to N trials).
            Exit codes: 0 done, 1 failed, 2 bad config, data, folder or checkpoint, 3 interrupted after saving a checkpoint.
            """)

    @Argument(help: "The run folder (holds resolved.yaml and checkpoints/, or sweep.sqlite).")
    var runDirectory: String

    @Option(parsing: .unconditional, help: "Ranks to continue with (training runs; default: as before). The global batch stays the same.")
    var ranks: Int?

    @Flag(help: "Print JSON lines (training runs).")
    var json = false

    @Option(name: .customLong("set"), help: "Override a value of the run's config, e.g. --set job.epochs=20 or new cluster.hosts (training runs).")
    var overrides: [String] = []

    @Flag(help: "Start the optimizer state from zero if the checkpoint's optimizer tensors do not match the configured optimizer (training runs; default: refuse).")
    var resetOptimizer = false

    @Flag(help: "Record a timeline of every rank's steps from here on (training runs; as job.timeline: true; see `ringtrain timeline`).")
    var timeline = false

    @Option(parsing: .unconditional, help: "Stop again with a checkpoint after N epochs of the run (N evaluations with job.steps), exit 3 (training runs).")
    var stopAfter: Int?

    @OptionGroup var slurm: SlurmRequeueOption

    func validate() throws {
        try checkTrainingOptions(ranks: ranks, stopAfter: stopAfter)
    }

    /// For a sweep folder: refuses the options that apply to training runs only, and every
    /// `--set` but `sweep.run_cap=N`, which extends the sweep (N no smaller than its run_cap).
    /// Returns that N, if given.
    private func sweepRunCap() throws -> Int? {
        let hint = "`ringtrain resume \(runDirectory)` continues the sweep as it was started; "
            + "`--set sweep.run_cap=N` extends it to N trials"
        let trainingOnly = [("--ranks", ranks != nil), ("--json", json), ("--reset-optimizer", resetOptimizer),
                            ("--timeline", timeline), ("--stop-after", stopAfter != nil)]
        if let (option, _) = trainingOnly.first(where: { $0.1 }) {
            throw ConfigError(file: runDirectory, keyPath: option, message: "applies to training runs, not to a sweep", hint: hint)
        }
        var runCap: Int?
        for override in overrides {
            let key = String(override.prefix { $0 != "=" }).trimmingCharacters(in: .whitespaces)
            if key == "sweep.run_cap" && !override.contains("=") {
                throw ConfigError(file: "--set", keyPath: key, message: "needs a value", hint: "--set sweep.run_cap=N extends the sweep to N trials")
            }
            guard key == "sweep.run_cap" else {
                throw ConfigError(file: "--set", keyPath: key, message: "cannot be changed when a sweep resumes (only sweep.run_cap can)",
                                  hint: hint)
            }
            let extended = try SweepRunner.recordedConfig(runDirectory: runDirectory, extraOverrides: [override])
            guard let spec = try extended.sweepSpec() else { return nil }
            let current = try SweepRunner.recordedConfig(runDirectory: runDirectory).sweepSpec()?.runCap ?? 0
            let recorded = max(current, try SweepStore(path: runDirectory + "/sweep.sqlite").extendedRunCap() ?? 0)
            guard spec.runCap >= recorded else {
                throw ConfigError(file: "--set", keyPath: key, message: "can only be raised: the sweep's run_cap is \(recorded)",
                                  hint: "give \(recorded) or more")
            }
            runCap = spec.runCap
        }
        return runCap
    }

    func run() throws {
        keepGoingWithoutOutput()
        try exitOnUserError {
            if try RunFolder.holdsSweep(runDirectory) {
                let runCap = try sweepRunCap()
                slurm.prepare()
                let status = try runSweep(try SweepRunner.recordedConfig(runDirectory: runDirectory), runDirectory: runDirectory,
                                          runCap: runCap)
                try slurm.finish(status)
                return
            }
            // A training run has no sweep section: a --set there would be taken and then ignored.
            if let sweepKey = self.overrides.map({ String($0.prefix { $0 != "=" }).trimmingCharacters(in: .whitespaces) })
                .first(where: { $0 == "sweep" || $0.hasPrefix("sweep.") }) {
                throw ConfigError(file: "--set", keyPath: sweepKey, message: "applies to sweeps; \(runDirectory) is a training run",
                                  hint: "--set job.… or cluster.… values change a training run")
            }
            let resolved = runDirectory + "/resolved.yaml"
            let overrides = self.overrides + (ranks.map { ["job.ranks=\($0)"] } ?? []) + (timeline ? ["job.timeline=true"] : [])
                + (stopAfter.map { ["job.stop_after=\($0)"] } ?? [])
            let config = try RunConfig.load(path: resolved, overrides: overrides)
            try SlurmRequeueOption.checkStopAfter(config.job, requeue: slurm.slurmRequeue, file: "--stop-after")
            var options = RankOptions(configPath: resolved)
            (options.runDirectory, options.overrides) = (runDirectory, overrides)
            (options.json, options.resume, options.resetOptimizer) = (json, true, resetOptimizer)
            try launchTraining(config, options, slurm: slurm)
        }
    }
}
