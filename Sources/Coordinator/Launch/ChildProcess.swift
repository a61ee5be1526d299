// ChildProcess: starts a program (argument array, never a shell) in its own process group, so
// a terminal's Ctrl-C reaches only ringtrain, which then passes one orderly stop request on.
import Foundation
import Synchronization

/// A started child process. Once it has been waited for, its PID may belong to another process:
/// signals then reach nothing (it is held by a pidfd, and its end is remembered).
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `pid` and `pidfd` are set once in init; the end is behind a mutex.
    /// Its process id (also its process group id).
    public let pid: pid_t
    /// A pidfd naming the child (nil without pidfd support), opened before it can be reaped.
    private let pidfd: Int32?
    /// Its exit status once it has been waited for.
    private let ended = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments`; `environment` entries are added to this process's
    /// environment. Standard output goes to `stdoutFD` and standard error to `stderrFD`
    /// (default: inherited); stdin is `stdinFD` (default /dev/null).
    public init(executable: String, arguments: [String], environment: [String: String] = [:],
                stdoutFD: Int32? = nil, stderrFD: Int32? = nil, stdinFD: Int32? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdinFD {
            posix_spawn_file_actions_adddup2(&actions, stdinFD, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if let stdoutFD { posix_spawn_file_actions_adddup2(&actions, stdoutFD, 1) }
        if let stderrFD { posix_spawn_file_actions_adddup2(&actions, stderrFD, 2) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group; no blocked signals and default handlers, whatever this process has.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGTERM, SIGUSR1, SIGPIPE, SIGCHLD] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw LaunchError("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        // Not yet waited for, so the PID is still the child's: the pidfd names it for good.
        pidfd = PidFD.open(child)
    }

    deinit { if let pidfd { close(pidfd) } }

    /// Whether the child has been waited for (its PID may name another process now).
    public var isReaped: Bool { ended.withLock { $0 != nil } }

    /// Sends `sig` to the child, never to a process that took its PID after it was waited for.
    /// Returns whether the signal was sent.
    @discardableResult
    public func signal(_ sig: Int32) -> Bool {
        if let pidfd { return PidFD.sendSignal(pidfd, sig) }
        return !isReaped && kill(pid, sig) == 0
    }

    /// Waits for the child; returns its exit status, or 128 + the signal that ended it.
    public func wait() -> Int32 {
        if let status = ended.withLock({ $0 }) { return status }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, 0) } while result < 0 && errno == EINTR
        return remember(result == pid ? Self.decode(status) : 255)
    }

    /// The exit status if the child has ended, nil while it runs (does not block). A child that
    /// cannot be waited for (already reaped elsewhere) counts as ended with status 255.
    public func poll() -> Int32? {
        if let status = ended.withLock({ $0 }) { return status }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result < 0 && errno == ECHILD { return remember(255) }
        return result == pid ? remember(Self.decode(status)) : nil
    }

    private func remember(_ status: Int32) -> Int32 {
        ended.withLock { $0 = status }
        return status
    }

    /// Sends `sig` to the child's whole process group (it and everything it started). After the
    /// child was waited for, the group is signalled only while no process has taken its PID: a
    /// PID is not handed out while a process group of that number has members, so a process
    /// holding it means the group's members are gone and the number names another's group.
    /// Returns whether the signal was sent.
    @discardableResult
    public func signalGroup(_ sig: Int32) -> Bool {
        if isReaped && ProcessIdentity.current(pid) != nil { return false }
        return kill(-pid, sig) == 0
    }

    private static func decode(_ status: Int32) -> Int32 {
        status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
