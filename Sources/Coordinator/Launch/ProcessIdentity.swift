// ProcessIdentity: a process named so that a reused PID is never taken for it — its PID with its
// start time (from /proc), held through a pidfd while it is checked and signalled.
import Collective
import Foundation

/// One process as it was seen: its PID and start time. A PID is reused once its process has been
/// reaped; the start time tells the process that now has the number from the one seen.
public struct ProcessIdentity: Sendable, Equatable, CustomStringConvertible {
    /// The process id.
    public let pid: pid_t
    /// When it started, in clock ticks since boot (field 22 of `/proc/PID/stat`).
    public let startTime: UInt64

    public init(pid: pid_t, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The process that has `pid` now, or nil when there is none.
    public static func current(_ pid: pid_t) -> ProcessIdentity? {
        status(pid).map { ProcessIdentity(pid: pid, startTime: $0.startTime) }
    }

    /// Sends `sig` only if `pid` still names this process (same start time). The process is held
    /// by a pidfd from before the check to the signal, so a PID reused in between is never
    /// signalled. Returns whether the signal was sent.
    @discardableResult
    public func signal(_ sig: Int32) -> Bool {
        ProcessIdentity.signal(pid, sig) { ProcessIdentity.current(pid) == self }
    }

    /// Sends `sig` to `pid` only if `isStillIt()` holds for it: the process is held by a pidfd
    /// first, then checked, then signalled through the pidfd (a process that was replaced is
    /// never signalled). Only where pidfds do not exist (a C library before glibc 2.36, or a
    /// kernel before 5.3) is the check followed by `kill`; a process already gone is not signalled.
    @discardableResult
    public static func signal(_ pid: pid_t, _ sig: Int32, ifStill isStillIt: () -> Bool) -> Bool {
        guard pid > 0 else { return false }
        guard let fd = PidFD.open(pid) else {
            return PidFD.unavailable && isStillIt() && kill(pid, sig) == 0
        }
        defer { close(fd) }
        return isStillIt() && PidFD.sendSignal(fd, sig)
    }

    /// `/proc/PID/stat`'s command name, state letter and start time, or nil for no such process.
    public static func status(_ pid: pid_t) -> ProcessStat? { ProcessStat.read(pid) }

    /// A line naming a process for a person: `pid N: COMMAND LINE` (or `[name]` when its command
    /// line is gone, as for a zombie) with its state.
    public static func describe(_ pid: pid_t) -> String {
        let argv = (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data())
            .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        let info = status(pid)
        let command = argv.isEmpty ? "[\(info?.command ?? "?")]" : argv.joined(separator: " ")
        return "pid \(pid): \(command)" + (info.map { " (state \($0.state))" } ?? " (gone)")
    }

    public var description: String { "pid \(pid) started at tick \(startTime)" }
}

/// Linux pidfds through the C library's `pidfd_open` and `pidfd_send_signal` (glibc 2.36 and
/// later), looked up at run time so an older library only loses the pidfd.
enum PidFD {
    private typealias Open = @convention(c) (pid_t, UInt32) -> Int32
    private typealias SendSignal = @convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UInt32) -> Int32
    private nonisolated(unsafe) static let library = dlopen(nil, RTLD_NOW)
    private static let openFunction: Open? = dlsym(library, "pidfd_open").map { unsafeBitCast($0, to: Open.self) }
    private static let sendFunction: SendSignal? = dlsym(library, "pidfd_send_signal").map { unsafeBitCast($0, to: SendSignal.self) }

    /// A pidfd for `pid` (close-on-exec), or nil when there is no such process or no pidfds.
    static func open(_ pid: pid_t) -> Int32? {
        guard let openFunction, sendFunction != nil else { return nil }
        let fd = openFunction(pid, 0)
        if fd < 0 && errno == ENOSYS { kernelLacksPidfds = true }
        return fd >= 0 ? fd : nil
    }

    /// Set once the kernel answered that it has no pidfds.
    private nonisolated(unsafe) static var kernelLacksPidfds = false

    /// True when signals cannot go through pidfds here (no such functions, or no such syscall).
    static var unavailable: Bool { openFunction == nil || sendFunction == nil || kernelLacksPidfds }

    /// Sends `sig` to the process `fd` holds; false when it has ended meanwhile.
    static func sendSignal(_ fd: Int32, _ sig: Int32) -> Bool {
        sendFunction?(fd, sig, nil, 0) == 0
    }
}
