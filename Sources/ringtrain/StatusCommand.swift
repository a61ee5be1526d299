// StatusCommand: `ringtrain status RUN_DIR` — where a training run or a sweep stands now, read from
// its folder only (safe while it runs, from another terminal or host); `--watch` redraws it in
// place until the run or sweep is no longer running.
import ArgumentParser
import Coordinator
import Foundation
import Worker

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show where a training run or a sweep stands: running or not, progress, latest metrics, rate, time left.",
        discussion: """
            Examples:
              ringtrain status runs/fashion-mlp-20261124-031500
              ringtrain status runs/sweep-fashion --watch        (redraws every 2 s until the sweep ends)
            Reads the folder only; works while the run or sweep runs. A sweep run by a process on another
            host is read from the status.json its coordinator keeps replacing.
            """)

    @Argument(help: "A run folder or a sweep folder.")
    var runDirectory: String

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Redraw in place until the run or sweep is not running any more.")
    var watch = false

    @Option(parsing: .unconditional, help: "Seconds between redraws with --watch (0.2 to 3600).")
    var interval = 2.0

    func validate() throws {
        guard interval.isFinite, (0.2...3600).contains(interval) else {
            throw ValidationError("--interval must be from 0.2 to 3600 seconds (got \(interval))")
        }
    }

    func run() throws {
        try exitOnUserError {
            let sweep = try RunFolder.holdsSweep(runDirectory)
            if watch { FileHandle.standardOutput.writeText("\u{1B}[2J") }
            while true {
                let (text, running) = try describe(sweep: sweep)
                if watch {
                    // Home, the new text, and the rest of the screen cleared: a redraw without a flash.
                    FileHandle.standardOutput.writeText("\u{1B}[H" + text.replacingOccurrences(of: "\n", with: "\u{1B}[K\n") + "\u{1B}[K\n\u{1B}[J")
                } else {
                    print(text)
                }
                guard watch, running else { return }
                Thread.sleep(forTimeInterval: interval)
            }
        }
    }

    /// The status as text or JSON, and whether the run or sweep is running.
    private func describe(sweep: Bool) throws -> (String, Bool) {
        if sweep {
            let status = try SweepStatus.read(runDirectory)
            return (json ? status.jsonText : status.text, status.state == "running")
        }
        let status = try RunStatus.read(runDirectory)
        return (json ? status.json : status.text, status.holder != nil)
    }
}
