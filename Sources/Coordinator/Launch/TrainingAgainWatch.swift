// TrainingAgainWatch: after a restart, watches rank 0's heartbeat for the restarted run's first
// step, then records and prints how long after the failure training went on again.
import Foundation
import Logging
import Worker

/// Watches, on its own thread, for the heartbeat to change from what it held when the restart
/// was decided; then appends the restart's second line to restarts.jsonl (time measured on this
/// machine's clock, from the failure). `finish()` looks a last time and ends the watch, so an
/// attempt that trained, however briefly, gets its line before the launcher moves on or exits.
final class TrainingAgainWatch: @unchecked Sendable {
    // @unchecked: `done` is guarded by `lock`; the rest is immutable.
    private let lock = NSLock()
    private var done = false
    private let restart: Int
    private let runDirectory: String
    private let failedAt: Date
    private let before: (step: Int, time: Date)?

    init(restart: Int, runDirectory: String, failedAt: Date) {
        (self.restart, self.runDirectory, self.failedAt) = (restart, runDirectory, failedAt)
        before = Heartbeat.read(runDirectory: runDirectory)
        Thread.detachNewThread { [self] in
            while !check(last: false) { usleep(100_000) }
        }
    }

    /// Looks once more, then ends the watch.
    func finish() { _ = check(last: true) }

    /// Writes the line if the heartbeat moved; true once the watch is over.
    private func check(last: Bool) -> Bool {
        lock.withLock {
            if done { return true }
            if let now = Heartbeat.read(runDirectory: runDirectory), before.map({ $0.step != now.step || $0.time != now.time }) ?? true {
                let seconds = (Date().timeIntervalSince(failedAt) * 10).rounded() / 10
                Log.logger.notice("restart \(restart): training again \(String(format: "%.1f", seconds)) s after the failure")
                do { try RestartLog.appendTrainingAgain(restart: restart, seconds: seconds, runDirectory: runDirectory) } catch {
                    Log.logger.warning("\(RestartLog.fileName): \(error)")
                }
                done = true
            } else if last {
                done = true
            }
            return done
        }
    }
}
