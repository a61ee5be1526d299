// TimelineCommand: `ringtrain timeline RUN_DIR` — merges the per-rank timelines a run recorded
// (`--timeline`) into one Chrome trace (timeline.json) and prints where each rank's time went.
import ArgumentParser
import Coordinator
import Foundation
import Worker

struct Timeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge a run's per-rank timelines into one Chrome trace and name any straggler.",
        discussion: """
            Example: ringtrain timeline runs/fashion-mlp-20261206-101500
            The run must have been trained with --timeline (or job.timeline: true). The trace (timeline.json in the
            run folder, or --output) opens in https://ui.perfetto.dev or chrome://tracing: one process per rank,
            each step's phases as nested spans, and a counter of the bytes each rank sent.
            """)

    @Argument(help: "The run folder.")
    var runDirectory: String

    @Option(help: "Where to write the trace (default RUN_DIR/timeline.json).")
    var output: String?

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    func run() throws {
        try exitOnUserError {
            let (summary, path) = try TimelineMerge.run(runDirectory: runDirectory, output: output)
            // With the trace on standard output, the summary goes to standard error, keeping the trace loadable.
            let toStandardOutput = output.map(UserOutput.isStandardOutput) ?? false
            func say(_ text: String) {
                if toStandardOutput { FileHandle.standardError.writeText(text + "\n") } else { print(text) }
            }
            if json {
                var object = summary.json
                object["trace"] = path
                say(jsonLine(object))
            } else {
                say("timeline: \(path) (\(summary.ranks.count) rank\(summary.ranks.count == 1 ? "" : "s"), \(summary.steps) steps)")
                say(summary.text)
            }
        }
    }
}
