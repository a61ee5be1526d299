// StopRequest: turns SIGINT, SIGTERM and SIGUSR1 into a request to stop after the current
// step (the trainer checkpoints and the process exits with the "interrupted" code, 3).
import Foundation
import Synchronization

private let stopRequested = Atomic<Int32>(0)

/// Process-wide stop requests from signals (a batch scheduler's preemption, Ctrl-C).
public enum StopRequest {
    /// Installs the handlers. A second SIGINT while a stop is pending ends the process at once.
    public static func installSignalHandlers() {
        // A parent may have started us with these signals blocked; they must get through.
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGUSR1] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for sig in [SIGINT, SIGTERM, SIGUSR1] {
            signal(sig) { received in
                if received == SIGINT && stopRequested.load(ordering: .relaxed) != 0 { _exit(130) }
                stopRequested.store(received, ordering: .relaxed)
            }
        }
    }

    /// Back to the default actions, once a stop has been handled (checkpoint saved): mpirun
    /// ends the job by SIGTERM when a rank exits with code 3, and that must now terminate us.
    public static func restoreDefaultHandlers() {
        for sig in [SIGINT, SIGTERM, SIGUSR1] { signal(sig, SIG_DFL) }
    }

    /// The signal that asked to stop, or nil.
    public static var pendingSignal: Int32? {
        let value = stopRequested.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Asks to stop, as a signal would (tests).
    public static func request(_ sig: Int32 = SIGTERM) { stopRequested.store(sig, ordering: .relaxed) }

    /// Forgets a request (tests).
    public static func reset() { stopRequested.store(0, ordering: .relaxed) }
}
