// BenchmarkCluster: the cluster section that a benchmark's --hosts, --network and --mpirun-args
// flags describe, so a benchmark runs across machines the way a training job would.
import Foundation

/// Building a `ClusterSpec` from benchmark flags.
public enum BenchmarkCluster {
    /// This machine, oversubscribed, or with `hosts` (comma-separated `host` or `host:slots`,
    /// one slot by default) those hosts once they pass the launcher's pre-flight check for
    /// `binary`. `network` acts as cluster.network and `mpirunArgs` (split by `ShellWords`) as
    /// cluster.mpirun_args (default for each: none).
    /// - Throws: `ConfigError` naming --hosts for a malformed item; the pre-flight check's error.
    public static func make(hosts: String?, network: String?, mpirunArgs: String?, binary: String) throws -> ClusterSpec {
        var cluster = ClusterSpec()
        cluster.oversubscribe = true
        cluster.network = network
        if let mpirunArgs { cluster.mpirunArgs = ShellWords.split(mpirunArgs) }
        guard let hosts else { return cluster }
        cluster.hosts = try hosts.split(separator: ",").map { item in
            let parts = item.split(separator: ":")
            guard parts.count <= 2, let host = parts.first, let slots = Int(parts.count == 2 ? parts[1] : "1"), slots > 0 else {
                throw ConfigError(file: "--hosts", keyPath: "", message: "bad host '\(item)'", hint: "expected host or host:slots")
            }
            return HostSlots(host: String(host), slots: slots)
        }
        try HostPreflight.check(cluster, binary: binary)
        return cluster
    }
}
