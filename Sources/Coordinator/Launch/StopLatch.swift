// StopLatch: catches the signals that ask a launched run to stop (SIGINT, SIGTERM, SIGUSR1) for as
// long as the launcher supervises it — across attempts, restarts and the waits between them.
import Foundation

/// Holds SIGINT, SIGTERM and SIGUSR1 from `init` to `release()`: they no longer end the process,
/// they are noted (`requested`) and wake `wait`. Signals ignored when it was made (a background
/// job's SIGINT) stay ignored. `release()` puts back what was there before.
final class StopLatch: @unchecked Sendable {
    // @unchecked: `signalled` is guarded by `lock`; the rest is set in init and release.
    static let signals = [SIGINT, SIGTERM, SIGUSR1]
    private let lock = NSLock()
    private var signalled: Int32?
    private let woken = DispatchSemaphore(value: 0)
    private var sources: [DispatchSourceSignal] = []
    private var previous: [(Int32, sigaction)] = []

    init() {
        for sig in Self.signals {
            var old = sigaction()
            sigaction(sig, nil, &old)
            if let handler = old.__sigaction_handler.sa_handler, unsafeBitCast(handler, to: Int.self) == 1 { continue }   // SIG_IGN
            previous.append((sig, old))
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                let first = lock.withLock { () -> Bool in
                    defer { if signalled == nil { signalled = sig } }
                    return signalled == nil
                }
                if first { woken.signal() }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The first stop signal received, if any.
    var requested: Int32? { lock.withLock { signalled } }

    /// Waits `seconds` (monotonic); true when a stop signal came first or had come already.
    func wait(seconds: Double) -> Bool {
        if requested != nil { return true }
        return woken.wait(timeout: .now() + seconds) == .success || requested != nil
    }

    /// Stops catching and restores each signal's earlier disposition.
    func release() {
        for source in sources { source.cancel() }
        sources = []
        for (sig, old) in previous {
            var old = old
            sigaction(sig, &old, nil)
        }
        previous = []
    }
}
