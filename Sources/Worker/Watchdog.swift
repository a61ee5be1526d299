// Watchdog: bounds how long a rank may wait inside a collective. A peer that crashed, was
// killed or hangs would otherwise block the ring forever; past the bound the job is ended.
import Foundation
import Synchronization

/// A background thread that calls `onExpiry` (which aborts the job) if a collective stays
/// armed for longer than `timeout` seconds, after saying which rank gave up and where.
public final class Watchdog: Sendable {
    private struct State {
        var phase: String?
        var armedAt = Date.distantFuture
    }
    private let state = Mutex(State())
    private let timeout: Double
    private let rank: Int

    /// Starts the watchdog thread (it lives as long as the process).
    public init(timeout: Double, rank: Int, onExpiry: @escaping @Sendable () -> Void) {
        self.timeout = timeout
        self.rank = rank
        let interval = min(1.0, timeout / 4)
        Thread.detachNewThread { [self] in
            while true {
                Thread.sleep(forTimeInterval: interval)
                let expired: String? = state.withLock { s in
                    guard let phase = s.phase, Date().timeIntervalSince(s.armedAt) > timeout else { return nil }
                    return phase
                }
                if let phase = expired {
                    let message = "error: rank \(rank): no reply from the other ranks for \(Int(timeout)) s during the \(phase); "
                        + "a peer rank has failed or is hung (see its own message above). Ending the job "
                        + "(cluster.failure_timeout sets this bound).\n"
                    FileHandle.standardError.write(Data(message.utf8))
                    onExpiry()
                }
            }
        }
    }

    /// Marks the start of a wait named `phase`.
    public func arm(_ phase: String) {
        state.withLock { s in
            s.phase = phase
            s.armedAt = Date()
        }
    }

    /// Marks the end of the wait.
    public func disarm() {
        state.withLock { s in s.phase = nil }
    }
}
