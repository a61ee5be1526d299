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

    func run() throws {
        try exitOnUserError {
            let loaded = try RunConfig.load(path: config, overrides: overrides)
            let folder = try RunFolder.create(at: runDir ?? RunFolder.defaultPath(for: loaded.job), config: loaded)
            if !json { FileHandle.standardOutput.write(Data("run folder: \(folder.path)\n".utf8)) }
            let session = TrainingSession(job: loaded.job, group: SingleProcessGroup(), runDirectory: folder.path, json: json)
            try session.run()
        }
    }
}
