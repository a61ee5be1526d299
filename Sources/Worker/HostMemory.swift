// HostMemory: the memory this host can give a run — MemAvailable from /proc/meminfo, or the
// cgroup v2 limit when lower — and the ranks sharing it; tests set it with an environment variable.
import Foundation

/// What this host has for a run's ranks.
public enum HostMemory {
    /// Environment variable that replaces the host's figure (bytes, or with a K, M, G or T
    /// suffix in powers of 1024), so tests do not depend on the machine.
    public static let testVariable = "RINGTRAIN_TEST_MEMORY_AVAILABLE"

    /// Bytes the processes of this host may still use: the smaller of MemAvailable and what this
    /// process's cgroup (v2) and each cgroup above it leave (`memory.max` − `memory.current`), or
    /// `RINGTRAIN_TEST_MEMORY_AVAILABLE` when set; nil when nothing reads (no check then).
    public static func available(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        if let text = environment[testVariable], let bytes = parseBytes(text) { return bytes }
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)).flatMap(memAvailable(meminfo:))
        let figures = [meminfo] + cgroupFolders().map(cgroupRoom)
        return figures.compactMap { $0 }.min()
    }

    /// `available()` as it was when this process first asked — each rank asks before it loads any
    /// data, so the figure does not count the job's own data against it.
    public static let atStart: Int? = available()

    /// The cgroup v2 folders this process is in, its own first, then each one above it.
    static func cgroupFolders(selfCgroup: String? = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) -> [String] {
        guard let line = selfCgroup?.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return [] }
        var path = String(line.dropFirst(3))
        var folders: [String] = []
        while true {
            folders.append("/sys/fs/cgroup" + (path == "/" ? "" : path))
            guard path != "/", let slash = path.lastIndex(of: "/") else { break }
            path = slash == path.startIndex ? "/" : String(path[..<slash])
        }
        return folders
    }

    /// What a cgroup folder's limit leaves: `memory.max` − `memory.current`; nil without a limit.
    static func cgroupRoom(_ folder: String) -> Int? {
        guard let limit = (try? String(contentsOfFile: folder + "/memory.max", encoding: .utf8)).flatMap(cgroupLimit) else { return nil }
        let used = (try? String(contentsOfFile: folder + "/memory.current", encoding: .utf8)).flatMap(cgroupLimit) ?? 0
        return max(0, limit - used)
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
        ProcessMemory.bytes("MemAvailable", in: meminfo)
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
