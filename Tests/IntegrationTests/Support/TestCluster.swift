// TestCluster: drives scripts/testcluster from the tests — hosts as network namespaces on a bridge,
// a remote-shell agent for mpirun, faults (netem, a killed host, a host that is down).
import Foundation
import Synchronization

/// One namespace cluster made for one test; `down()` removes it (call it in a `defer`).
struct TestCluster {
    /// scripts/testcluster of this checkout (found from this source file's path).
    static let script: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/testcluster").path

    /// Private /24 of the test hosts: TESTCLUSTER_SUBNET, else 10.78.0 (apart from the 10.77.0
    /// default of a cluster made by hand).
    static let subnet = ProcessInfo.processInfo.environment["TESTCLUSTER_SUBNET"] ?? "10.78.0"
    /// Prefix of every namespace and interface the tests make.
    static let name = "rtt"
    /// Variables every command touching the cluster needs (the agent mpirun calls reads them too).
    static let environment = TrainingFixtures.environment.merging(["TESTCLUSTER_SUBNET": subnet, "TESTCLUSTER_NAME": name]) { $1 }

    /// Whether network namespaces can be made here (root and a kernel that allows them),
    /// found by trying once.
    static let available: Bool = {
        guard getuid() == 0, let ip = BuiltBinary.onPath("ip") ?? (FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : nil)
        else { return false }
        let probe = "\(name)-probe\(getpid() % 10_000)"
        guard let made = try? ProcessRunner.run(ip, ["netns", "add", probe], timeout: 10), made.status == 0 else { return false }
        _ = try? ProcessRunner.run(ip, ["netns", "delete", probe], timeout: 10)
        return true
    }()

    /// Host addresses, node1 first.
    let addresses: [String]

    /// Whether a test of this process holds the cluster (between `up` and `down`).
    private static let held = Mutex(false)

    /// Removes any leftover test cluster, then makes `hosts` hosts. Every test shares the same
    /// namespace names, so only one may hold a cluster at a time: tests that make one belong to
    /// MultiHostTests' serialized suite, and a second `up` while one is held is an error, not a
    /// cluster pulled from under the other test.
    static func up(_ hosts: Int) throws -> TestCluster {
        guard held.withLock({ busy in defer { busy = true }; return !busy }) else {
            throw TestClusterError("another test holds the namespace cluster: tests that make one must be in MultiHostTests' serialized suite")
        }
        do { return try make(hosts) } catch {
            held.withLock { $0 = false }
            throw error
        }
    }

    private static func make(_ hosts: Int) throws -> TestCluster {
        _ = try run(["down"])
        let result = try run(["up", "\(hosts)"])
        guard result.status == 0 else { throw TestClusterError("testcluster up \(hosts) failed: \(result.output)") }
        let addresses = result.stdout.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            return words.count == 3 ? String(words[1]) : nil
        }
        guard addresses.count == hosts else { throw TestClusterError("unexpected host table: \(result.stdout)") }
        return TestCluster(addresses: addresses)
    }

    /// Runs `scripts/testcluster arguments` (bounded to 30 s).
    @discardableResult
    static func run(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run("/bin/bash", [script] + arguments, environment: environment, timeout: 30)
    }

    /// Removes everything `up` made and lets another test make a cluster.
    func down() {
        _ = try? Self.run(["down"])
        Self.held.withLock { $0 = false }
    }

    /// The `cluster` section with `slots` slots per host (default 1) over TCP on the test subnet, through
    /// the namespace agent instead of ssh. `--bind-to none`: the "hosts" share this machine's
    /// cores, and Open MPI would pin every host's first rank to the same core 0.
    func clusterSection(failureTimeout: Int = 20, slots: Int = 1) -> String {
        """
        cluster:
          hosts: [\(addresses.map { "{host: \($0), slots: \(slots)}" }.joined(separator: ", "))]
          network: \(Self.subnet).0/24
          mpirun_args: [--bind-to, none, --mca, plm_rsh_agent, "\(Self.script) rsh", --mca, plm_rsh_no_tree_spawn, "1", --mca, btl, "tcp,self"]
          failure_timeout: \(failureTimeout)
        """
    }
}

/// A test cluster that could not be made.
struct TestClusterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
