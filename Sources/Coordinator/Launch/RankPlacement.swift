// RankPlacement: where mpirun puts each rank (the listed hosts' slots filled in order), the hosts a
// cluster lists (its `hosts`, or its hostfile's lines), and a hostfile cut down to some of them.
import Foundation
import Model

/// Hosts and ranks as mpirun maps them by slot.
public enum RankPlacement {
    /// The host of `rank` among `hosts`; `localHost` when no hosts are listed. Ranks beyond the
    /// slots (oversubscribed) wrap around.
    public static func host(ofRank rank: Int, hosts: [HostSlots], localHost: String) -> String {
        let total = hosts.reduce(0) { $0 + $1.slots }
        guard total > 0, rank >= 0 else { return localHost }
        var left = rank % total
        for host in hosts {
            if left < host.slots { return host.host }
            left -= host.slots
        }
        return localHost
    }

    /// One host line of a hostfile: the host, its `slots=N` (nil when not given: Open MPI then
    /// counts the host's cores, which only that host knows) and the line itself.
    struct HostfileEntry {
        var host: String
        var slots: Int?
        var line: Substring
    }

    /// The host lines of the hostfile `path` (comments and blank lines left out).
    static func hostfileEntries(_ path: String) throws -> [HostfileEntry] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            // Open MPI reads a relative hostfile from the folder mpirun starts in, as this does.
            let from = error.posixCode == ENOENT && !path.hasPrefix("/") ? " (a relative hostfile is read from the working folder, \(FileManager.default.currentDirectoryPath))" : ""
            throw LaunchError("cannot read the hostfile \(path): \(error.fileErrorText)\(from)")
        }
        // mpirun reads bytes: a comment in another encoding is no reason to refuse the file, a host name is.
        let text = String(decoding: data, as: UTF8.self)
        // "\r\n" is one Character; blank lines are kept in the split so that line numbers are true.
        let entries: [HostfileEntry] = try text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated().compactMap { index, line in
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = content.split(whereSeparator: \.isWhitespace)   // Open MPI takes tabs too
            guard let name = words.first else { return nil }
            if name.contains("\u{FFFD}") {
                throw LaunchError("the hostfile \(path), line \(index + 1): the host name is not UTF-8 text (host names are letters, digits, '-' and '.')")
            }
            if name.contains(":") {   // Open MPI 4 refuses it with a page about regular expressions
                throw LaunchError("the hostfile \(path), line \(index + 1): " + ClusterSpec.colonProblem(String(name), slotsForm: "\(name.prefix { $0 != ":" }) slots=N"))
            }
            let given = words.dropFirst().first { $0.hasPrefix("slots=") }.map { $0.dropFirst("slots=".count) }
            // Below 1 counts 1 and a word that is no number is left to Open MPI, as before; above what
            // cluster.hosts allows is refused (sums of such counts overflowed).
            let slots = given.flatMap { Int($0) }.map { max(1, $0) }
            let tooMany = slots.map { $0 > HostfileSlotsError.most } ?? (given.map { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } } ?? false)
            if tooMany, let given {
                throw HostfileSlotsError(path: path, line: index + 1, given: String(given))
            }
            return HostfileEntry(host: String(name), slots: slots, line: line)
        }
        return entries
    }

    /// The hosts of `cluster`: its `hosts`, or those of its hostfile (a hostfile line without
    /// `slots=` counts 1 here, for naming ranks; see `slotsKnown`); empty when neither is given.
    public static func listedHosts(_ cluster: ClusterSpec) throws -> [HostSlots] {
        guard let hostfile = cluster.hostfile else { return cluster.hosts }
        return try hostfileEntries(hostfile).map { HostSlots(host: $0.host, slots: $0.slots ?? 1) }
    }

    /// Reads `cluster`'s hostfile, if any, as a launch will; a missing, unreadable or empty one, or
    /// a line mpirun would refuse, is a `ConfigError` on `cluster.hostfile` of `file` (bad input,
    /// found before anything starts).
    public static func checkHostfile(_ cluster: ClusterSpec, file: String) throws {
        guard let hostfile = cluster.hostfile else { return }
        let hosts: [HostSlots]
        do { hosts = try listedHosts(cluster) } catch let error as LaunchError {
            throw ConfigError(file: file, keyPath: "cluster.hostfile", message: error.description)
        } catch let error as HostfileSlotsError {
            throw error.configError(in: file)
        }
        if hosts.isEmpty {
            throw ConfigError(file: file, keyPath: "cluster.hostfile", message: "the hostfile \(hostfile) lists no hosts (only blank lines and comments)",
                              hint: "one host a line, e.g. node1 slots=4")
        }
    }

    /// False when `cluster`'s hostfile leaves some host's slots to Open MPI (no `slots=`): then
    /// the slots left after losing a host are not known here.
    public static func slotsKnown(_ cluster: ClusterSpec) throws -> Bool {
        guard let hostfile = cluster.hostfile else { return true }
        return try hostfileEntries(hostfile).allSatisfy { $0.slots != nil }
    }

    /// A copy of `cluster`'s hostfile holding only the lines of `hosts`, in a new temporary file
    /// (its path returned), so every other setting of those lines is kept.
    static func hostfile(of cluster: ClusterSpec, keeping hosts: Set<String>) throws -> String {
        guard let hostfile = cluster.hostfile else { throw LaunchError("no cluster.hostfile to cut down") }
        let kept = try hostfileEntries(hostfile).filter { hosts.contains($0.host) }.map { $0.line + "\n" }.joined()
        let path = NSTemporaryDirectory() + "ringtrain-hostfile-\(getpid())-\(UUID().uuidString.prefix(8))"
        try kept.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// A hostfile line whose `slots=` is more than any host could have (sums of such counts overflowed).
public struct HostfileSlotsError: Error, CustomStringConvertible {
    /// The most slots a hostfile line may give.
    public static let most = 1 << 20
    public let path: String, line: Int, given: String
    /// The problem without the file's name: `line 2: slots=5000000 is more than 1048576, ...`.
    public var problem: String { "line \(line): slots=\(given) is more than \(Self.most), the most a host may have" }
    public var description: String { "cluster.hostfile \(path) \(problem)" }

    /// The same as a mistake in the config `file` whose cluster.hostfile names the hostfile.
    func configError(in file: String) -> ConfigError {
        ConfigError(file: file, keyPath: "cluster.hostfile", message: "the hostfile \(path), \(problem)")
    }
}
