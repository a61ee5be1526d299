// HostMemory: the memory this host can give a run — MemAvailable from /proc/meminfo, or the
// cgroup v2 limit when lower — and the ranks sharing it; tests set it with an environment variable.
import Foundation

/// What this host has for a run's ranks.
public enum HostMemory {
    /// Environment variable that replaces the host's figure (bytes, or with a K, M, G or T
    /// suffix in powers of 1024), so tests do not depend on the machine.
    public static let testVariable = "RINGTRAIN_TEST_MEMORY_AVAILABLE"

    /// Bytes the processes of this host may still use: the smaller of MemAvailable and the cgroup
    /// v2 limit (`/sys/fs/cgroup/memory.max`), or `RINGTRAIN_TEST_MEMORY_AVAILABLE` when set; nil
    /// when neither file reads (the memory check is then skipped).
    public static func available(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        if let text = environment[testVariable], let bytes = parseBytes(text) { return bytes }
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)).flatMap(memAvailable(meminfo:))
        let limit = (try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8)).flatMap(cgroupLimit)
        switch (meminfo, limit) {
        case let (m?, l?): return min(m, l)
        case let (m?, nil): return m
        case let (nil, l?): return l
        case (nil, nil): return nil
        }
    }

    /// Ranks of this job on this host, as the launcher says (Open MPI's local size, Slurm's tasks
    /// on this node), or `ranks` (all of them) when it does not say.
    public static func ranksOnHost(ranks: Int, environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        for key in ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"] {
            if let text = environment[key], let n = Int(text), n >= 1 { return min(n, ranks) }
        }
        return ranks
    }

    /// MemAvailable of a /proc/meminfo text, in bytes.
    static func memAvailable(meminfo: String) -> Int? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kib = Int(fields[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }

    /// The limit of a memory.max text; nil for `max` (no limit).
    static func cgroupLimit(_ text: String) -> Int? {
        Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `123`, `512M`, `24G` ... as bytes (suffixes in powers of 1024).
    static func parseBytes(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824, "T": 1_099_511_627_776]
        let (digits, scale) = trimmed.last.flatMap { units[$0] }.map { (String(trimmed.dropLast()), $0) } ?? (trimmed, 1)
        guard let value = Double(digits), value >= 0, value * scale < 9e18 else { return nil }
        return Int(value * scale)
    }
}
