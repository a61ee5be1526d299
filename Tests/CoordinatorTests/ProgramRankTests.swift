// ProgramRankTests: the environment a distributed program's rank is given — from Open MPI's or
// Slurm's variables — and the launcher command of a distributed program trial.
import Foundation
import Testing
@testable import Coordinator

@Suite("ProgramRank")
struct ProgramRankTests {
    @Test("under mpirun: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE from OMPI_COMM_WORLD_*")
    func fromOpenMPI() throws {
        let variables = try ProgramRank.variables(from: ["OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_SIZE": "4",
                                                         "OMPI_COMM_WORLD_LOCAL_RANK": "1", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"])
        #expect(variables == ["RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"])
    }

    @Test("under srun: the step's ranks, this node's share of the tasks, and the step's first node as MASTER_ADDR, whatever was inherited")
    func fromSlurm() throws {
        let slurm = ["SLURM_PROCID": "4", "SLURM_STEP_NUM_TASKS": "5", "SLURM_NTASKS": "8", "SLURM_LOCALID": "0",
                     "SLURM_NODEID": "2", "SLURM_STEP_TASKS_PER_NODE": "2(x2),1", "SLURM_STEP_NODELIST": "node[07-09]"]
        let variables = try ProgramRank.variables(from: slurm)
        #expect(variables == ["RANK": "4", "WORLD_SIZE": "5", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "1", "MASTER_ADDR": "node07"])
        // An address inherited from the batch script's environment (the allocation's first node) is not the step's.
        let inherited = try ProgramRank.variables(from: slurm.merging(["MASTER_ADDR": "node01"]) { $1 })
        #expect(inherited["MASTER_ADDR"] == "node07")
    }

    @Test("Slurm's lists read", arguments: [("n1", "n1"), ("n1,n2", "n1"), ("gpu[3,5-6],cpu1", "gpu3"), ("a-b[001-004]", "a-b001"),
                                         ("rack[1-2]-n[01-04],x", "rack1-n01"), ("n[7]", "n7")])
    func firstHost(list: String, first: String) {
        #expect(ProgramRank.firstHost(ofHostlist: list) == first)
    }

    @Test("tasks per node", arguments: [("4", [4]), ("2(x3)", [2, 2, 2]), ("3,1(x2)", [3, 1, 1])])
    func tasksPerNode(text: String, counts: [Int]) throws {
        #expect(try ProgramRank.tasksPerNode(text) == counts)
    }

    @Test("no launcher's variables, or unreadable ones: an error naming them", arguments: [
        ([String: String](), "neither OMPI_COMM_WORLD_RANK nor SLURM_PROCID"),
        (["OMPI_COMM_WORLD_RANK": "0"], "OMPI_COMM_WORLD_SIZE is unset"),
        (["OMPI_COMM_WORLD_RANK": "x"], "OMPI_COMM_WORLD_RANK is 'x'"),
        (["SLURM_PROCID": "0", "SLURM_NTASKS": "1", "SLURM_LOCALID": "0", "SLURM_NODEID": "0", "SLURM_STEP_TASKS_PER_NODE": "2(y)"],
         "cannot read tasks per node"),
        (["SLURM_PROCID": "0", "SLURM_NTASKS": "1", "SLURM_LOCALID": "0", "SLURM_NODEID": "3", "SLURM_TASKS_PER_NODE": "1"],
         "SLURM_NODEID 3 is past the 1 node(s)"),
        (["SLURM_PROCID": "0", "SLURM_NTASKS": "1", "SLURM_LOCALID": "0", "SLURM_NODEID": "0", "SLURM_TASKS_PER_NODE": "1"],
         "SLURM_STEP_NODELIST is unset"),
    ])
    func refuses(environment: [String: String], fragment: String) {
        #expect { try ProgramRank.variables(from: environment) } throws: { "\($0)".contains(fragment) }
    }

    @Test("the trial's command: mpirun on its placed hosts, unpinned, with the rendezvous and trial variables on every rank")
    func mpirunCommand() throws {
        var cluster = ClusterSpec()
        cluster.hosts = [HostSlots(host: "a", slots: 4), HostSlots(host: "b", slots: 4)]
        cluster.environment = ["USER_SETTING": "1"]
        let placement = TrialPlacement(hosts: [HostSlots(host: "b", slots: 1), HostSlots(host: "a", slots: 2)], port: 29511)
        let trial = DistributedProgramTrial(cluster: cluster, ranks: 3, placement: placement, arguments: ["python3", "train.py", "--lr=0.1"])
        let (arguments, _) = try trial.command(variables: ["RINGTRAIN_TRIAL_DIR": "/runs/s/trial-0002"])
        let text = arguments.joined(separator: " ")
        #expect(arguments.first == "mpirun")
        #expect(text.contains("--bind-to none") && text.contains("-np 3") && text.contains("--host b:1,a:2"), "\(text)")
        for variable in ["MASTER_ADDR=b", "MASTER_PORT=29511", "RINGTRAIN_TRIAL_DIR=/runs/s/trial-0002", "USER_SETTING=1"] {
            #expect(text.contains("-x \(variable)"), "\(variable): \(text)")
        }
        #expect(text.hasSuffix("program-rank -- python3 train.py --lr=0.1"), "\(text)")
        // This machine only: the loopback address, no host list.
        let local = DistributedProgramTrial(cluster: ClusterSpec(), ranks: 2, placement: TrialPlacement(hosts: [HostSlots(host: "localhost", slots: 2)], port: 1),
                                            arguments: ["p"])
        let localText = try local.command(variables: [:]).arguments.joined(separator: " ")
        #expect(localText.contains("-x MASTER_ADDR=127.0.0.1") && !localText.contains("--host"), "\(localText)")
        // A binding the user chose is kept.
        var bound = ClusterSpec()
        bound.mpirunArgs = ["--bind-to=core"]
        let boundText = try DistributedProgramTrial(cluster: bound, ranks: 2, placement: nil, arguments: ["p"])
            .command(variables: [:]).arguments.joined(separator: " ")
        #expect(!boundText.contains("--bind-to none") && boundText.contains("--bind-to=core"), "\(boundText)")
    }

    @Test("a training trial's cluster: the hosts it got and, several at once under mpirun, unpinned; under Slurm untouched")
    func trainingTrialCluster() {
        var cluster = ClusterSpec()
        cluster.hosts = [HostSlots(host: "a", slots: 2), HostSlots(host: "b", slots: 2)]
        cluster.mpirunArgs = ["--mca", "btl", "tcp,self"]
        let placement = TrialPlacement(hosts: [HostSlots(host: "b", slots: 2)])
        let placed = SweepRunner.cluster(cluster, placedOn: placement, parallel: 2)
        #expect(placed.hosts == [HostSlots(host: "b", slots: 2)])
        #expect(placed.mpirunArgs == ["--bind-to", "none", "--mca", "btl", "tcp,self"])
        #expect(SweepRunner.cluster(cluster, placedOn: placement, parallel: 1).mpirunArgs == cluster.mpirunArgs)
        var slurm = cluster
        slurm.launcher = .slurm
        #expect(SweepRunner.cluster(slurm, placedOn: placement, parallel: 2) == slurm, "srun takes no mpirun options")
        var local = ClusterSpec()
        local.mpirunArgs = ["--bind-to", "core"]
        #expect(SweepRunner.cluster(local, placedOn: TrialPlacement(hosts: [HostSlots(host: "localhost", slots: 2)]), parallel: 2) == local)
    }
}

@Suite("TCPPort")
struct TCPPortTests {
    @Test("a port the kernel hands out is free until something binds it; one a socket holds is not; running trials' ports are avoided")
    func freeAndTaken() throws {
        let port = try TCPPort.free(avoiding: [])
        #expect(TCPPort.isFree(port))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(bound == 0 && listen(fd, 1) == 0)
        #expect(!TCPPort.isFree(port))
        let other = try TCPPort.free(avoiding: [port])
        #expect(other != port && TCPPort.isFree(other))
    }
}
