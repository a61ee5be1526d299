// ClusterSpec: the `cluster` section — where ranks run (hosts and slots or a hostfile), how they
// are launched (mpirun or slurm), extra mpirun arguments, environment, network, failure bound.
import Collective
import Foundation
import Worker

/// One host and how many ranks it may run.
public struct HostSlots: Sendable, Equatable {
    public var host: String
    public var slots: Int
    public init(host: String, slots: Int) {
        self.host = host
        self.slots = slots
    }
}

/// How and where training processes are started.
public struct ClusterSpec: Sendable, Equatable {
    /// The process launcher.
    public enum Launcher: String, Sendable, CaseIterable { case mpirun, slurm }

    /// Hosts with slots; empty means this machine only. Default empty.
    public var hosts: [HostSlots] = []
    /// An Open MPI hostfile, instead of `hosts`. Default nil.
    public var hostfile: String? = nil
    /// Launcher; default `.mpirun`.
    public var launcher = Launcher.mpirun
    /// Extra arguments passed to mpirun before the program. Default none.
    public var mpirunArgs: [String] = []
    /// Environment variables set for every rank. Default none (OPENBLAS_NUM_THREADS=1 is always
    /// set unless given here).
    public var environment: [String: String] = [:]
    /// Allow more ranks than slots/cores (mpirun --oversubscribe). Default false.
    public var oversubscribe = false
    /// Interface name or CIDR that MPI's TCP traffic must use (btl_tcp_if_include and
    /// oob_tcp_if_include). Default nil (Open MPI chooses).
    public var network: String? = nil
    /// Seconds a job may wait on a failed or silent rank before it is ended with an error.
    /// Default 60.
    public var failureTimeout: Double = RankSettings.defaultFailureTimeout
    /// Seconds a sweep waits, after asking a trial to stop, for it to save its checkpoint and
    /// exit before killing it. Default 60.
    public var stopGracePeriod: Double = 60
    /// Before a multi-host launch, check that every remote host answers through the remote
    /// shell (ssh or mpirun's plm_rsh_agent) and has this binary at the same path. Default true.
    public var preflight = true
    /// Restarts after a lost rank or host (runs under mpirun only). Default: none.
    public var restarts = RestartSpec()
    /// The all-reduce of large buffers: the flat ring, or the two-level one where ranks share
    /// hosts on 2 hosts or more (`two_level`, `auto`). Default ring.
    public var allReduce = AllReduceChoice.ring
    /// Keep gradients and parameters in memory the ranks of a host share and average them there
    /// without messages: every rank's on a one-host job, each host's steps of the two-level
    /// all-reduce (`Collectives.mapHostMemory`). Default true.
    public var sharedMemory = true

    public init() {}

    /// True when every rank runs on the machine reading the config: no hosts or hostfile, or only
    /// `localhost`, a loopback address or this machine's name (`localHost`).
    public func runsOnlyHere(localHost: String) -> Bool {
        guard hostfile == nil else { return false }
        return hosts.allSatisfy { Self.isLocal($0.host, localHost: localHost) }
    }

    /// Whether `host` names the machine called `localHost`: `localhost`, a loopback address
    /// (`127.*`), its name or its short name.
    public static func isLocal(_ host: String, localHost: String) -> Bool {
        let short = localHost.split(separator: ".").first.map(String.init) ?? localHost
        return ["localhost", localHost, short].contains(host) || host.hasPrefix("127.")
    }

    /// Whether the config lists hosts (`hosts` or a hostfile); false: this machine only.
    public var listsHosts: Bool { !hosts.isEmpty || hostfile != nil }

    /// Total slots over `hosts` (nil when the hosts are not listed in the config).
    public var totalSlots: Int? { hosts.isEmpty ? nil : hosts.reduce(0) { $0 + $1.slots } }

    /// The most of `ranks` ranks one host runs when mpirun fills the listed hosts' slots in order:
    /// all of them when no hosts are listed or the slots are oversubscribed (memory checks divide
    /// a host's memory by this).
    public func ranksOnBusiestHost(ranks: Int) -> Int {
        guard let totalSlots, ranks <= totalSlots else { return ranks }
        var left = ranks, most = 0
        for host in hosts where left > 0 {
            most = max(most, min(host.slots, left))
            left -= min(host.slots, left)
        }
        return max(most, 1)
    }
}

extension ClusterSpec {
    /// What is wrong with a host name holding a colon, which Open MPI 4 takes as no node name (in
    /// --host or a hostfile): an IPv6 address, or slots after a colon (`slotsForm` says where they go).
    static func colonProblem(_ name: String, slotsForm: String) -> String {
        var address = in6_addr()
        let host = String(name.split(separator: "%", maxSplits: 1)[0])   // a zone (fe80::1%eth0) is not part of the address
        if inet_pton(AF_INET6, host, &address) == 1 {
            return "'\(name)' is an IPv6 address, which Open MPI takes as no host name; give the host's name (from /etc/hosts or DNS) or its IPv4 address"
        }
        return "'\(name)' is not a host name: a colon is neither part of one nor how slots are given here; give slots as \(slotsForm)"
    }

    static let keys = ["hosts", "hostfile", "launcher", "mpirun_args", "env", "oversubscribe", "network",
                       "failure_timeout", "stop_grace_period", "preflight", "restarts", "allreduce", "shared_memory"]

    /// Parses the `cluster` section.
    public static func parse(_ value: ConfigValue) throws -> ClusterSpec {
        let t = try value.table(allowed: keys)
        var spec = ClusterSpec()
        if let v = t["hosts"] {
            // A name goes into mpirun's comma-separated --host list as it is, with ":slots" added:
            // nothing that list would read differently (a comma, a space, a leading '-', a colon).
            // user@host passes. Open MPI 4 takes no IPv6 address as a node name, in --host or a
            // hostfile ("illegal character in the following node name").
            func hostName(_ item: ConfigValue) throws -> String {
                let name = try item.string()
                guard !item.isNull, !name.isEmpty, !name.hasPrefix("-"), !name.contains(","), !name.contains(where: \.isWhitespace),
                      name.filter({ $0 == ":" }).count != 1 else {
                    throw item.error("'\(name)' is not a host name", hint: "a host name or address, e.g. node1 or 10.0.0.2; slots go in {host: node1, slots: 4}")
                }
                guard !name.contains(":") else { throw item.error(ClusterSpec.colonProblem(name, slotsForm: "{host: node1, slots: 4}")) }
                return name
            }
            spec.hosts = try v.list().map { item in
                if case .scalar = item.node {
                    return HostSlots(host: try hostName(item), slots: 1)
                }
                let h = try item.table(allowed: ["host", "slots"])
                return HostSlots(host: try hostName(try h.required("host")),
                                 slots: try h["slots"]?.int(in: 1...4096) ?? 1)
            }
        }
        if let v = t["hostfile"] {
            guard spec.hosts.isEmpty else { throw v.error("give hosts or hostfile, not both") }
            spec.hostfile = try v.string()
        }
        if let v = t["launcher"] { spec.launcher = Launcher(rawValue: try v.choice(Launcher.allCases.map(\.rawValue)))! }
        if let v = t["mpirun_args"] {
            if case .scalar = v.node {
                spec.mpirunArgs = try v.string().split(separator: " ").map(String.init)
            } else {
                spec.mpirunArgs = try v.list().map { try $0.string() }
            }
        }
        if let v = t["env"] {
            for (key, item) in try v.table(allowed: nil).entries {
                guard key.range(of: #"^[A-Za-z_][A-Za-z0-9_]*$"#, options: .regularExpression) != nil else {
                    throw item.error("'\(key)' is not an environment variable name", hint: "letters, digits and '_', not starting with a digit")
                }
                spec.environment[key] = item.isNull ? "" : try item.string()   // `FOO: ~` is empty, not the text "~"
            }
        }
        if let v = t["oversubscribe"] { spec.oversubscribe = try v.bool() }
        if let v = t["network"] { spec.network = try v.string() }
        if let v = t["stop_grace_period"] { spec.stopGracePeriod = try v.double(in: 1...86_400, hint: "seconds, from 1 to 86400") }
        if let v = t["failure_timeout"] { spec.failureTimeout = try v.double(in: 1...86_400, hint: "seconds, from 1 to 86400") }
        if let v = t["preflight"] { spec.preflight = try v.bool() }
        if let v = t["shared_memory"] { spec.sharedMemory = try v.bool() }
        if let v = t["allreduce"] { spec.allReduce = AllReduceChoice(rawValue: try v.choice(AllReduceChoice.allCases.map(\.rawValue)))! }
        if let v = t["restarts"] {
            spec.restarts = try RestartSpec.parse(v)
            if spec.restarts.enabled && spec.launcher == .slurm {
                throw v.error("restarts run under launcher: mpirun only",
                              hint: "under Slurm, requeue the job instead (sbatch --requeue; a requeued run resumes from its checkpoint), or use launcher: mpirun")
            }
        }
        return spec
    }
}
