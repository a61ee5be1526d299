// WorkerCommand: `ringtrain worker CONFIG` — what mpirun starts on every rank. Users may run
// `mpirun -np N ringtrain worker CONFIG` themselves, as on a cluster.
import ArgumentParser
import Coordinator
import Foundation
import Worker

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Train as one rank of an MPI job (started by mpirun on every rank).",
        discussion: "Example: mpirun -np 2 ringtrain worker cluster.yaml --run-dir runs/two-ranks")

    @Argument(help: "The config file (read by rank 0 and broadcast to the others).")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set job.epochs=5 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Run folder (rank 0 writes metrics there).")
    var runDir: String?

    @Flag(help: "Print one JSON object per epoch and a final one.")
    var json = false

    @Flag(help: "Continue from the newest valid checkpoint in --run-dir.")
    var resume = false

    @Flag(help: "With --resume: start the optimizer state from zero if the checkpoint's optimizer tensors do not match the configured optimizer (instead of refusing).")
    var resetOptimizer = false

    @Flag(help: .hidden) var launched = false

    @Option(parsing: .unconditional, help: .hidden) var traceSteps: Int?
    @Option(help: .hidden) var dumpParameters: String?
    @OptionGroup(visibility: .hidden) var testHooks: TestHookOptions

    func validate() throws {
        if let traceSteps, traceSteps < 1 { throw ValidationError(StepTrace.belowOne(traceSteps)) }
    }

    func run() throws {
        var options = RankOptions(configPath: config)
        (options.overrides, options.runDirectory, options.json) = (overrides, runDir, json)
        (options.resume, options.resetOptimizer, options.launched) = (resume, resetOptimizer, launched)
        (options.traceSteps, options.dumpParameters) = (traceSteps, dumpParameters)
        options.testHooks = try testHooks.hooks()
        let code = try RankLife.run(options, setup: RunConfigSetup(configPath: config, overrides: overrides), world: .mpi)
        if code != 0 { throw ExitCode(code) }
    }
}
