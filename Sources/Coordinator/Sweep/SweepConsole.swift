// SweepConsole: what a running sweep tells the person watching — a line per trial event and,
// on a terminal, an overall progress bar (trials done / run_cap, best so far); diagnostics to the log.
import Foundation
import Logging
import Worker

/// Prints sweep progress to standard output (the bar goes to standard error on a TTY);
/// retries, recoveries and stops go to the log.
final class SweepConsole {
    private let showBar = isatty(STDERR_FILENO) == 1
    private let metric: SweepMetric
    /// When false, nothing is printed.
    var enabled = true

    init(metric: SweepMetric) { self.metric = metric }

    func line(_ text: String) {
        guard enabled else { return }
        clearBar()
        FileHandle.standardOutput.writeText(text + "\n")
    }

    /// Logs `text` at `level` (standard error), clearing the bar first.
    func log(_ level: Logger.Level, _ text: String) {
        guard enabled else { return }
        clearBar()
        Log.logger.log(level: level, "\(text)")
    }

    static func describe(_ configuration: Configuration) -> String {
        configuration.keys.sorted().map { "\($0)=\(configuration[$0]!)" }.joined(separator: ", ")
    }

    static func format(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%.5g", value)
    }

    /// Redraws `[####....] done/total trials, best <metric> <value> (trial N)`.
    func bar(done: Int, total: Int, running: Int, best: (id: Int, value: Double)?) {
        guard enabled, showBar, total > 0 else { return }
        let width = 24, filled = min(width, width * done / total)
        let bestText = best.map { ", best \(metric.name) \(Self.format($0.value)) (trial \($0.id))" } ?? ""
        let text = "\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + "] \(done)/\(total) trials done, \(running) running\(bestText)"
        FileHandle.standardError.writeText(text)
    }

    private func clearBar() {
        if showBar { FileHandle.standardError.writeText("\r\u{1B}[K") }
    }
}
