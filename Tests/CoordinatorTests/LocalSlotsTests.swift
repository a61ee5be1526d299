// LocalSlotsTests: a job on this machine alone is refused before launch when its ranks exceed the
// processors, and only then: not when oversubscription or hosts are allowed any way mpirun knows
// (config, mpirun_args, Open MPI's variables and parameter files), when hosts are listed, or
// inside a batch allocation whose slots mpirun reads.
import Testing
@testable import Coordinator

struct LocalSlotsTests {
    static func refuses(_ ranks: Int, _ cluster: ClusterSpec = ClusterSpec(), environment: [String: String] = [:],
                        parameters: String = "") -> Bool {
        guard let problem = LocalSlots.problem(ranks: ranks, cluster: cluster, file: "job.yaml", processors: 2,
                                               environment: environment, parameterText: parameters) else { return false }
        #expect(problem.keyPath == "job.ranks" && "\(problem)".contains("3 ranks") && "\(problem)".contains("2 processors")
                && "\(problem)".contains("oversubscribe"), "\(problem)")
        return true
    }

    static func cluster(_ change: (inout ClusterSpec) -> Void) -> ClusterSpec {
        var spec = ClusterSpec()
        change(&spec)
        return spec
    }

    @Test func moreRanksThanProcessorsAreRefusedWhenNothingAllowsThem() {
        #expect(!Self.refuses(2))
        #expect(Self.refuses(3))
        #expect(Self.refuses(3, Self.cluster { $0.mpirunArgs = ["--nooversubscribe"] }))
        #expect(Self.refuses(3, environment: ["OMPI_MCA_rmaps_base_oversubscribe": "", "SLURM_JOB_ID": ""]), "empty is unset")
        #expect(Self.refuses(3, Self.cluster { $0.environment = ["OMPI_MCA_rmaps_base_oversubscribe": "1"] }),
                "cluster.env reaches the ranks (-x), not mpirun")
        #expect(Self.refuses(3, parameters: "# rmaps_base_oversubscribe = 1\nbtl = ^openib\n"), "a comment allows nothing")
    }

    @Test func anythingThatLetsMpirunGoFurtherIsLeftToIt() {
        #expect(!Self.refuses(3, Self.cluster { $0.oversubscribe = true }))
        #expect(!Self.refuses(3, Self.cluster { $0.mpirunArgs = ["--map-by", "core:OVERSUBSCRIBE"] }))
        #expect(!Self.refuses(3, Self.cluster { $0.mpirunArgs = ["-H", "a,b"] }))
        #expect(!Self.refuses(3, Self.cluster { $0.mpirunArgs = ["--host=a:4"] }))
        #expect(!Self.refuses(3, environment: ["OMPI_MCA_rmaps_base_oversubscribe": "true"]))
        #expect(!Self.refuses(3, environment: ["OMPI_MCA_rmaps_base_mapping_policy": "core:oversubscribe"]))
        #expect(!Self.refuses(3, environment: ["PRTE_MCA_rmaps_default_mapping_policy": ":OVERSUBSCRIBE"]))
        #expect(!Self.refuses(3, environment: ["OMPI_MCA_orte_default_hostfile": "/etc/hosts.mpi"]))
        #expect(!Self.refuses(3, environment: ["SLURM_JOB_ID": "42"]))
        #expect(!Self.refuses(3, parameters: "rmaps_base_oversubscribe = 1\n"))
        #expect(!Self.refuses(3, Self.cluster { $0.hosts = [HostSlots(host: "node1", slots: 1)] }),
                "listed hosts' slots are checked when the config is read")
        #expect(!Self.refuses(3, Self.cluster { $0.launcher = .slurm }))
    }
}
