// TrainCommand: `ringtrain train CONFIG` — checks the config, prepares the run folder and
// trains (in this process for one rank).
import ArgumentParser
import Coordinator
import Foundation
import Worker

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the job of a config file.",
        discussion: "Example: ringtrain train cluster.yaml --set job.epochs=3 --json")

    @Argument(help: "The config file (YAML with a job: section).")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set job.epochs=5 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Run folder (default runs/<job name>-<timestamp>).")
    var runDir: String?

    @Flag(help: "Print one JSON object per epoch and a final one.")
    var json = false

    @Option(help: "Number of ranks (default job.ranks); more than one starts mpirun.")
    var ranks: Int?

    @Option(help: .hidden)
    var traceSteps: Int?

    @Option(help: .hidden)
    var dumpParameters: String?

    func run() throws {
        try exitOnUserError {
            var allOverrides = overrides
            if let ranks { allOverrides.append("job.ranks=\(ranks)") }
            let loaded = try RunConfig.load(path: config, overrides: allOverrides)
            // Ranks on other hosts read these paths there: make them absolute, and check first.
            let configPath = URL(fileURLWithPath: config).standardizedFileURL.path
            if loaded.job.ranks > 1 && loaded.cluster.preflight {
                try HostPreflight.check(loaded.cluster, binary: MPILauncher.selfExecutable, files: [configPath])
            }
            let folder = try RunFolder.create(at: runDir ?? RunFolder.defaultPath(for: loaded.job), config: loaded)
            if !json { FileHandle.standardOutput.write(Data("run folder: \(folder.path)\n".utf8)) }
            if loaded.job.ranks == 1 && traceSteps == nil {
                let session = TrainingSession(job: loaded.job, group: SingleProcessGroup(), runDirectory: folder.path, json: json)
                try session.run()
                return
            }
            var workerArguments = ["worker", configPath, "--run-dir", URL(fileURLWithPath: folder.path).standardizedFileURL.path]
            for o in allOverrides { workerArguments += ["--set", o] }
            if json { workerArguments.append("--json") }
            if let traceSteps { workerArguments += ["--trace-steps", "\(traceSteps)"] }
            if let dumpParameters { workerArguments += ["--dump-parameters", dumpParameters] }
            let command = MPILauncher.command(cluster: loaded.cluster, ranks: loaded.job.ranks,
                                              program: MPILauncher.selfExecutable, arguments: workerArguments)
            let status = try MPILauncher.run(command)
            if status != 0 {
                printError("the \(loaded.job.ranks)-rank job failed (mpirun exit status \(status)); see the rank messages above")
                throw ExitCode(status == ExitStatus.usage ? ExitStatus.usage : ExitStatus.failed)
            }
        }
    }
}
