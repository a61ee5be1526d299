// ProcessMemory: this process's resident memory now and at its peak (VmRSS and VmHWM of
// /proc/self/status), for measurements of memory per rank.
import Foundation

/// Resident memory of this process, in bytes.
public struct ProcessMemory: Sendable, Equatable {
    /// Resident now (`VmRSS`).
    public var resident: Int
    /// The highest resident figure since the process started (`VmHWM`, the high-water mark).
    public var peak: Int

    /// This process's figures now, or nil when /proc/self/status does not give them.
    public static func current() -> ProcessMemory? {
        (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)).flatMap(parse(status:))
    }

    /// The figures of a `/proc/PID/status` text (lines such as `VmHWM:   123456 kB`); nil when
    /// either is missing.
    public static func parse(status: String) -> ProcessMemory? {
        guard let resident = bytes("VmRSS", in: status), let peak = bytes("VmHWM", in: status) else { return nil }
        return ProcessMemory(resident: resident, peak: peak)
    }

    /// The bytes of the line `KEY:  N kB` of a /proc text (status, meminfo), spaces or tabs
    /// between; nil when the line is missing or reads otherwise.
    static func bytes(_ key: String, in text: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
        let fields = line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 2, fields[1] == "kB", let value = Int(fields[0]) else { return nil }
        return value * 1024
    }
}
