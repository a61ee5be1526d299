// Watchdog: bounds how long a rank may wait inside a collective. A peer that crashed, was
// killed, stopped or hangs would otherwise block the ring forever; past the bound the job ends.
import Foundation
import Synchronization

/// A background thread that ends this process (without calling MPI: mpirun then ends the other
/// ranks) if a wait stays armed longer than its bound, after saying which rank gave up, where,
/// and what it can tell about its peers.
///
/// Time is measured on the monotonic clock, so changing the system time changes nothing. A wait
/// on a peer that is known to be busy (rank 0 writing a checkpoint: `arm(_:busyPeer:)`) is
/// bounded by `busyTimeout` instead of `timeout`: a slow save is not a dead rank. The busy
/// notice is part of the wait itself, decided by the operation every rank runs alike
/// (`Collectives.whileRootWorks`), so it needs no message of its own. `Collectives` arms it
/// around every collective once given it (`Collectives.installWatchdog`).
public final class Watchdog: Sendable {
    private struct State {
        var phase: String?
        var armedAt: UInt64 = 0
        var busy = false
        var timeout: Double
        var busyTimeout: Double
        var peers: PeerProcesses?
    }
    private let state: Mutex<State>
    private let rank: Int

    /// Starts the watchdog thread (it lives as long as the process).
    /// - Parameters:
    ///   - timeout: seconds an ordinary wait may last (`cluster.failure_timeout`).
    ///   - busyTimeout: seconds a wait on a busy peer may last (default: 20 × `timeout`, at
    ///     least 600 s).
    ///   - onExpiry: called with the message once the bound passes (default: write it to
    ///     standard error and `_exit(1)`).
    public init(timeout: Double, busyTimeout: Double? = nil, rank: Int,
                onExpiry: @escaping @Sendable (String) -> Void = Watchdog.endProcess) {
        state = Mutex(State(timeout: timeout, busyTimeout: busyTimeout ?? Self.defaultBusyTimeout(timeout)))
        self.rank = rank
        Thread.detachNewThread { [self] in
            while true {
                let interval = state.withLock { min(1.0, $0.timeout / 4) }
                Thread.sleep(forTimeInterval: interval)
                let expired: (phase: String, bound: Double, peers: PeerProcesses?)? = state.withLock { s in
                    guard let phase = s.phase else { return nil }
                    let bound = s.busy ? s.busyTimeout : s.timeout
                    guard Double(Self.now() - s.armedAt) / 1e9 > bound else { return nil }
                    s.phase = nil   // report once
                    return (phase, bound, s.peers)
                }
                if let (phase, bound, peers) = expired {
                    var message = "error: rank \(rank): no reply from the other ranks for \(Int(bound)) s during the \(phase); "
                    let about = peers?.describe() ?? ""
                    message += about.isEmpty ? "a peer rank has failed or is hung (see its own message above). " : about + ". "
                    message += "Ending the job (cluster.failure_timeout sets this bound).\n"
                    onExpiry(message)
                }
            }
        }
    }

    /// The default bound of a wait on a busy peer for `timeout`.
    public static func defaultBusyTimeout(_ timeout: Double) -> Double { max(600, 20 * timeout) }

    /// Changes the ordinary bound (e.g. once the config is known); the busy bound follows it.
    public func setTimeout(_ timeout: Double) {
        state.withLock { s in
            s.timeout = timeout
            s.busyTimeout = Self.defaultBusyTimeout(timeout)
        }
    }

    /// Tells the watchdog where the other ranks run, so its message can name a stopped or gone one.
    public func setPeers(_ peers: PeerProcesses) {
        state.withLock { $0.peers = peers }
    }

    /// Marks the start of a wait named `phase`; `busyPeer` when a peer is known to be working
    /// meanwhile (default false).
    public func arm(_ phase: String, busyPeer: Bool = false) {
        state.withLock { s in
            s.phase = phase
            s.busy = busyPeer
            s.armedAt = Self.now()
        }
    }

    /// Marks the end of the wait.
    public func disarm() {
        state.withLock { s in s.phase = nil }
    }

    /// Writes `message` to standard error and ends the process at once with status 1, calling
    /// no MPI function (another thread may be inside one); mpirun ends the other ranks.
    public static let endProcess: @Sendable (String) -> Void = { message in
        FileHandle.standardError.writeText(message)
        _exit(1)
    }

    /// Nanoseconds on the monotonic clock.
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
