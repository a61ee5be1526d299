// HostPreflight tests: which hosts are checked, which remote shell is used (ssh with BatchMode, or
// the plm_rsh_agent of mpirun_args), what it runs, and how a failing agent is reported.
import Foundation
import Testing
@testable import Coordinator

struct HostPreflightTests {
    static func cluster(hosts: [String], mpirunArgs: [String] = []) -> ClusterSpec {
        var spec = ClusterSpec()
        spec.hosts = hosts.map { HostSlots(host: $0, slots: 1) }
        spec.mpirunArgs = mpirunArgs
        return spec
    }

    @Test func localNamesAreNotChecked() throws {
        let spec = Self.cluster(hosts: ["localhost", "node1", "127.0.0.1", "node2", "node1", ProcessInfo.processInfo.hostName])
        #expect(try HostPreflight.remoteHosts(spec) == ["node1", "node2"])
    }

    @Test func hostfileHostsAreRead() throws {
        let path = NSTemporaryDirectory() + "hostfile-\(UUID().uuidString.prefix(8))"
        try "# comment\nnode1 slots=2\n\nnode2 slots=4 # fast\n".write(toFile: path, atomically: false, encoding: .utf8)
        var spec = ClusterSpec()
        spec.hostfile = path
        #expect(try HostPreflight.remoteHosts(spec) == ["node1", "node2"])
        spec.hostfile = path + ".missing"
        #expect(throws: LaunchError.self) { try HostPreflight.remoteHosts(spec) }
    }

    @Test(arguments: [
        ([], ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]),
        (["--mca", "plm_rsh_agent", "/opt/agent rsh"], ["/opt/agent", "rsh"]),
        (["-mca", "plm_rsh_agent", "ssh : rsh", "--mca", "btl", "tcp,self"], ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]),
    ])
    func agentFollowsMpirunArgs(arguments: [String], agent: [String]) {
        #expect(HostPreflight.agent(Self.cluster(hosts: ["a"], mpirunArgs: arguments), environment: [:]) == agent)
    }

    @Test func probeIsOneShellStringAfterTheHost() {
        let command = HostPreflight.probe(agent: ["ssh", "-o", "BatchMode=yes"], host: "node7", binary: "/opt/it's/ringtrain",
                                          files: ["/data/c.yaml"])
        #expect(command.executable == "ssh")
        #expect(command.arguments == ["-o", "BatchMode=yes", "node7",
                                      "test -x '/opt/it'\\''s/ringtrain' && test -r '/data/c.yaml' && echo ringtrain-preflight-ok"])
    }

    /// An agent that fails like ssh does (exit 255) for one host and answers for the other: the
    /// error names the failing host and only it.
    @Test func failingHostIsNamed() throws {
        let dir = NSTemporaryDirectory() + "preflight-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let agent = dir + "/agent"
        try TestFolder.writeExecutable(
            "#!/bin/sh\nif [ \"$1\" = good ]; then shift; exec sh -c \"$*\"; fi\necho \"connect to host $1: No route to host\" >&2\nexit 255\n",
            to: agent)
        let spec = Self.cluster(hosts: ["good", "bad"], mpirunArgs: ["--mca", "plm_rsh_agent", agent])
        try HostPreflight.check(Self.cluster(hosts: ["good"], mpirunArgs: ["--mca", "plm_rsh_agent", agent]), binary: "/bin/sh")
        do {
            try HostPreflight.check(spec, binary: "/bin/sh", timeout: 10)
            Issue.record("expected a LaunchError")
        } catch let error as LaunchError {
            #expect(error.description.contains("host bad is not reachable"), "\(error)")
            #expect(error.description.contains("No route to host"))
            #expect(!error.description.contains("host good"))
        }
        do {
            try HostPreflight.check(Self.cluster(hosts: ["good"], mpirunArgs: ["--mca", "plm_rsh_agent", agent]),
                                    binary: dir + "/missing", timeout: 10)
            Issue.record("expected a LaunchError")
        } catch let error as LaunchError {
            #expect(error.description.contains("host good lacks \(dir)/missing"), "\(error)")
        }
    }
}

@Test("launcher: slurm builds an srun command inside an allocation and refuses outside one or with too few tasks")
func slurmLauncherCommand() throws {
    var cluster = ClusterSpec()
    cluster.launcher = .slurm
    cluster.environment = ["X": "1"]
    func command(_ slurm: [String: String]) throws -> LaunchCommand {
        try SlurmLauncher.command(cluster: cluster, ranks: 4, program: "/bin/ringtrain", arguments: ["worker", "c.yaml"], slurm: slurm)
    }
    #expect(throws: LaunchError.self) { _ = try command(["PATH": "/bin"]) }
    do {
        _ = try command(["SLURM_JOB_ID": "42", "SLURM_NTASKS": "2"])
        Issue.record("4 ranks in an allocation of 2 tasks were not refused")
    } catch let error as LaunchError {
        #expect(error.description.contains("has 2 tasks (SLURM_NTASKS=2)") && error.description.contains("salloc -n 4"), "\(error)")
    }
    for slurm in [["SLURM_JOB_ID": "42"], ["SLURM_JOB_ID": "42", "SLURM_NTASKS": "4"], ["SLURM_JOB_ID": "42", "SLURM_NTASKS": "8"]] {
        let launch = try command(slurm)
        #expect(launch.executable == "srun")
        #expect(launch.arguments == ["--ntasks", "4", "--exact", "--mpi=pmix", "--kill-on-bad-exit=1",
                                     "--export=ALL,OPENBLAS_NUM_THREADS=1,X=1", "/bin/ringtrain", "worker", "c.yaml"])
    }
}

@Test("a sweep under launcher: slurm needs an allocation with parallel × ranks tasks")
func slurmSweepAllocation() throws {
    func check(_ parallel: Int, _ ranks: Int, _ slurm: [String: String]) throws {
        try SlurmLauncher.checkSweep(parallel: parallel, ranks: ranks, configPath: "sweep.yaml", slurm: slurm)
    }
    for (parallel, ranks, slurm, key, says) in [
        (1, 2, ["PATH": "/bin"], "cluster.launcher", "not a Slurm allocation"),
        (2, 2, ["SLURM_JOB_ID": "7", "SLURM_NTASKS": "2"], "sweep.parallel", "need 4 tasks, but this Slurm allocation (job 7) has 2"),
        (3, 1, ["SLURM_JOB_ID": "7", "SLURM_NTASKS": "2"], "sweep.parallel", "need 3 tasks"),
    ] {
        do {
            try check(parallel, ranks, slurm)
            Issue.record("\(parallel) × \(ranks) in \(slurm) was not refused")
        } catch let error as ConfigError {
            #expect(error.keyPath == key && error.message.contains(says), "\(error)")
        }
    }
    try check(2, 2, ["SLURM_JOB_ID": "7", "SLURM_NTASKS": "4"])
    try check(4, 1, ["SLURM_JOB_ID": "7"])   // no task count: srun fits the steps to the CPUs
}
