// TensorBoardCommand: `ringtrain tensorboard RUN_DIR` — prints the `tensorboard --logdir` command
// for a run or sweep folder, whose event files ringtrain writes as it trains; it serves nothing.
import ArgumentParser
import Coordinator
import Foundation
import Worker

struct TensorBoard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensorboard",
        abstract: "Print the command that opens a run's or a sweep's curves in TensorBoard.",
        discussion: """
            Example: ringtrain tensorboard runs/sweep-fashion-mlp
            Every run writes TensorBoard event files (events.out.tfevents.*) beside metrics.jsonl; in a sweep
            folder each trial is a run. ringtrain serves nothing itself: run the printed command.
            """)

    @Argument(help: "A run folder or a sweep folder.")
    var runDirectory: String

    func run() throws {
        try exitOnUserError {
            _ = try RunFolder.holdsSweep(runDirectory)
            let folder = URL(fileURLWithPath: runDirectory).standardizedFileURL.path
            let found = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).filter { $0.contains("tfevents") }
            print("tensorboard --logdir \(ShellWords.quote(folder))")
            if found.isEmpty {
                Log.logger.notice("no event files in \(folder) yet: they appear with the first epoch (or evaluation) report")
            }
        }
    }
}
