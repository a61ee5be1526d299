// StatusCommand: `ringtrain status RUN_DIR` — a training run's state read from its folder: running
// or not, the newest step and checkpoint, and every automatic restart with its cause.
import ArgumentParser
import Coordinator
import Foundation

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a training run's state: running or not, newest step and checkpoint, its automatic restarts.",
        discussion: "Example: ringtrain status runs/fashion-mlp-20261124-031500 (reads the folder only; works while the run runs)")

    @Argument(help: "The run folder.")
    var runDirectory: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        try exitOnUserError {
            let status = try RunStatus.read(runDirectory)
            print(json ? status.json : status.text)
        }
    }
}
