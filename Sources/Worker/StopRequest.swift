// StopRequest: turns SIGINT, SIGTERM, SIGUSR1 and SIGHUP into a request to stop after the current
// step (the trainer checkpoints and the process exits with the "interrupted" code, 3).
import Foundation
import Synchronization

private let stopRequested = Atomic<Int32>(0)
/// When the first request came (CLOCK_MONOTONIC nanoseconds; 0: none yet).
private let firstRequestAt = Atomic<UInt64>(0)
/// The notice written to standard error at the first request (nil: none). Set before the
/// handlers are installed and never freed: a handler may only write it.
nonisolated(unsafe) private var notice: (bytes: UnsafeMutablePointer<CChar>, count: Int)?
/// The notice written when a second SIGINT ends the process (nil: none); set as `notice` is.
nonisolated(unsafe) private var quitNotice: (bytes: UnsafeMutablePointer<CChar>, count: Int)?

private func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Process-wide stop requests from signals (a batch scheduler's preemption, Ctrl-C).
public enum StopRequest {
    /// Installs the handlers, writing `announce` (and a newline) to standard error at the first
    /// request when given. A second SIGINT a second or more after the first ends the process at
    /// once, after writing `quit` when given; one sooner (a double press) is the same request.
    public static func installSignalHandlers(announce: String? = nil, quit: String? = nil) {
        // Every global the handler reads is touched here first: initialising one lazily inside a
        // handler is not safe.
        _ = stopRequested.load(ordering: .relaxed) + Int32(firstRequestAt.load(ordering: .relaxed) & 1)
        if notice == nil, let announce { notice = (strdup(announce + "\n"), announce.utf8.count + 1) }
        if quitNotice == nil, let quit { quitNotice = (strdup(quit + "\n"), quit.utf8.count + 1) }
        // A parent may have started us with these signals blocked; they must get through.
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGUSR1, SIGHUP] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        // SIGHUP (the terminal or SSH session closed) stops as SIGTERM does, unless it is ignored
        // (nohup): then it stays ignored.
        var hangup = sigaction()
        sigaction(SIGHUP, nil, &hangup)
        let hangupIgnored = hangup.__sigaction_handler.sa_handler.map { unsafeBitCast($0, to: Int.self) == 1 } ?? false
        for sig in [SIGINT, SIGTERM, SIGUSR1] + (hangupIgnored ? [] : [SIGHUP]) {
            signal(sig) { received in
                let now = monotonicNanoseconds(), first = firstRequestAt.load(ordering: .relaxed)
                if received == SIGINT && first != 0 && now &- first >= 1_000_000_000 && now > first {
                    if let quitNotice { _ = write(STDERR_FILENO, quitNotice.bytes, quitNotice.count) }
                    _exit(130)
                }
                stopRequested.store(received, ordering: .relaxed)
                if first == 0 {
                    firstRequestAt.store(now, ordering: .relaxed)
                    if let notice { _ = write(STDERR_FILENO, notice.bytes, notice.count) }
                }
            }
        }
    }

    /// Back to the default actions, once a stop has been handled (checkpoint saved): mpirun
    /// ends the job by SIGTERM when a rank exits with code 3, and that must now terminate us.
    /// SIGUSR1 stays caught: a launcher's late SIGUSR1 (it asked on rank 0's input first) must not
    /// end a rank that saved.
    public static func restoreDefaultHandlers() {
        for sig in [SIGINT, SIGTERM] { signal(sig, SIG_DFL) }
    }

    /// The signal that asked to stop, or nil.
    public static var pendingSignal: Int32? {
        let value = stopRequested.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Asks to stop, as a signal would (rank 0 reading its launcher's stop line; tests).
    public static func request(_ sig: Int32 = SIGTERM) {
        stopRequested.store(sig, ordering: .relaxed)
        _ = firstRequestAt.compareExchange(expected: 0, desired: monotonicNanoseconds(), ordering: .relaxed)
    }

    /// Forgets a request (tests).
    public static func reset() {
        stopRequested.store(0, ordering: .relaxed)
        firstRequestAt.store(0, ordering: .relaxed)
    }
}
