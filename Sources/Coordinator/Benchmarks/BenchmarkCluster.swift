// BenchmarkCluster: the cluster section that a benchmark's --hosts, --network and --mpirun-args
// flags describe, so a benchmark runs across machines the way a training job would.
import Foundation
import Model

/// Building a `ClusterSpec` from benchmark flags.
public enum BenchmarkCluster {
    /// This machine, oversubscribed, or with `hosts` (comma-separated `host` or `host:slots`,
    /// one slot by default) those hosts once they pass the launcher's pre-flight check for
    /// `binary`. `network` acts as cluster.network and `mpirunArgs` (split by `ShellWords`) as
    /// cluster.mpirun_args (default for each: none).
    /// - Throws: `BadHost` for a malformed item of `hosts`; the pre-flight check's error.
    public static func make(hosts: String?, network: String?, mpirunArgs: String?, binary: String) throws -> ClusterSpec {
        var cluster = ClusterSpec()
        cluster.oversubscribe = true
        cluster.network = network
        if let mpirunArgs { cluster.mpirunArgs = ShellWords.split(mpirunArgs) }
        guard let hosts else { return cluster }
        cluster.hosts = try Self.hosts(hosts)
        try HostPreflight.check(cluster, binary: binary)
        return cluster
    }

    /// The hosts of a comma-separated list of `host` or `host:slots` (one slot by default).
    /// - Throws: `BadHost` naming the first malformed item.
    public static func hosts(_ list: String) throws -> [HostSlots] {
        // Empty items are mistakes too (`--hosts ,` would otherwise run on this machine without a word).
        try list.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let item = item.trimmingCharacters(in: .whitespaces)   // "a, b" as --sizes takes "4K, 16K"
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, let host = parts.first, !host.isEmpty, !host.contains(where: \.isWhitespace),
                  let slots = Int(parts.count == 2 ? parts[1] : "1"), (1...4096).contains(slots) else {
                throw BadHost(item: String(item))
            }
            return HostSlots(host: String(host), slots: slots)
        }
    }

    /// A host list item that is not `host` or `host:slots` (with slots at least 1): a usage
    /// mistake (exit 2).
    public struct BadHost: UsageError {
        public let item: String
        public var description: String { "bad host '\(item)': expected host or host:slots (slots 1 to 4096)" }
    }
}
