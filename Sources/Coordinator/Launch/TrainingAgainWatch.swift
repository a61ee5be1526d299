// TrainingAgainWatch: after a restart, watches rank 0's heartbeat for the restarted run's first
// step, then records and prints how long after the failure training went on again.
import Foundation
import Logging
import Worker

/// Watches, on its own thread, for the heartbeat to change from what it held when the restart
/// was decided; then appends the restart's second line to restarts.jsonl (time measured on this
/// machine's clock, from the failure). `stop()` ends the watch (an attempt that never trained
/// gets no second line).
final class TrainingAgainWatch: @unchecked Sendable {
    // @unchecked: `done` is guarded by `lock`.
    private let lock = NSLock()
    private var done = false

    init(restart: Int, runDirectory: String, failedAt: Date) {
        let before = Heartbeat.read(runDirectory: runDirectory)
        Thread.detachNewThread { [self] in
            while !lock.withLock({ done }) {
                let now = Heartbeat.read(runDirectory: runDirectory)
                if let now, before.map({ $0.step != now.step || $0.time != now.time }) ?? true {
                    guard finish() else { return }
                    let seconds = (Date().timeIntervalSince(failedAt) * 10).rounded() / 10
                    Log.logger.notice("restart \(restart): training again \(String(format: "%.1f", seconds)) s after the failure")
                    do { try RestartLog.appendTrainingAgain(restart: restart, seconds: seconds, runDirectory: runDirectory) } catch {
                        Log.logger.warning("\(RestartLog.fileName): \(error)")
                    }
                    return
                }
                usleep(100_000)
            }
        }
    }

    /// Ends the watch; true for the caller that ended it first.
    @discardableResult
    func finish() -> Bool {
        lock.withLock {
            defer { done = true }
            return !done
        }
    }
}
