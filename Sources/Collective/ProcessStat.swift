// ProcessStat: what /proc/PID/stat says of a process — its command name, state letter and start
// time — read in one place for the watchdog, rank 0's launcher watch and the sweep supervisors.
import Foundation

/// One process's `/proc/PID/stat` line, parsed.
public struct ProcessStat: Sendable, Equatable {
    /// The command name (between the parentheses; it may hold spaces and parentheses itself).
    public var command: String
    /// The state letter: R, S, D, T, t, Z, X, ...
    public var state: Character
    /// When it started, in clock ticks since boot (field 22): with the pid, it names the process.
    public var startTime: UInt64

    /// The process `pid` now, or nil when there is none (or its line does not read).
    public static func read(_ pid: Int32) -> ProcessStat? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        return parse(String(decoding: data, as: UTF8.self))
    }

    /// Parses a stat line `PID (COMMAND) STATE PPID ...`; nil when it is not one.
    public static func parse(_ text: String) -> ProcessStat? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else { return nil }
        // Fields from the state on: the state is field 3 of the line, the start time field 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return ProcessStat(command: String(text[text.index(after: open)..<close]), state: state, startTime: start)
    }
}
