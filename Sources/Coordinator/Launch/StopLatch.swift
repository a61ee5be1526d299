// StopLatch: catches the signals that ask a launched run to stop (SIGINT, SIGTERM, SIGUSR1, and
// SIGHUP: the terminal or SSH session closed) for as long as the launcher supervises it — across
// attempts, restarts and the waits between them.
import Foundation
import Synchronization
import Worker

/// The first stop signal caught while a latch is installed (0: none).
private let latchedSignal = Atomic<Int32>(0)

/// The first stop signal this process received while it supervised a run (a latch was
/// installed) or ran a sweep, if any: what `--slurm-requeue` judges by.
public enum ReceivedStopSignal {
    public static var first: Int32? {
        let latched = latchedSignal.load(ordering: .relaxed)
        return latched != 0 ? latched : StopRequest.pendingSignal
    }
}

/// Holds SIGINT, SIGTERM, SIGUSR1 and SIGHUP from `init` to `release()`: they no longer end the process,
/// they are noted (`requested`). Signals ignored when it was made (a background job's SIGINT)
/// stay ignored; `release()` puts back each signal's earlier action. One latch at a time.
final class StopLatch: @unchecked Sendable {
    // @unchecked: `previous` is set in init and read in release, on the launcher's thread.
    static let signals = [SIGINT, SIGTERM, SIGUSR1, SIGHUP]
    private var previous: [(Int32, sigaction)] = []

    init() {
        latchedSignal.store(0, ordering: .relaxed)
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in Self.signals {
            var old = sigaction()
            sigaction(sig, nil, &old)
            if let handler = old.__sigaction_handler.sa_handler, unsafeBitCast(handler, to: Int.self) == 1 { continue }   // SIG_IGN
            previous.append((sig, old))
            sigaddset(&unblock, sig)
            signal(sig) { received in _ = latchedSignal.compareExchange(expected: 0, desired: received, ordering: .relaxed) }
        }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)   // a parent may have started us with them blocked
    }

    /// The first stop signal received, if any.
    var requested: Int32? {
        let value = latchedSignal.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Waits `seconds` (monotonic); true when a stop signal came first or had come already.
    func wait(seconds: Double) -> Bool {
        let deadline = DispatchTime.now() + seconds
        while DispatchTime.now() < deadline {
            if requested != nil { return true }
            usleep(50_000)
        }
        return requested != nil
    }

    /// Stops catching and restores each signal's earlier action.
    func release() {
        for (sig, old) in previous {
            var old = old
            sigaction(sig, &old, nil)
        }
        previous = []
    }
}
