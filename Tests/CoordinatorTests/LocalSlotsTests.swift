// LocalSlotsTests: a job on this machine alone is refused before launch when its ranks exceed the
// cores, and only then: not when oversubscription is allowed any way mpirun knows, when hosts are
// listed, or inside a batch allocation whose slots mpirun reads.
import Testing
@testable import Coordinator

struct LocalSlotsTests {
    static func refuses(_ ranks: Int, _ cluster: ClusterSpec = ClusterSpec(), environment: [String: String] = [:]) -> Bool {
        do {
            try LocalSlots.check(ranks: ranks, cluster: cluster, file: "job.yaml", cores: 2, environment: environment)
            return false
        } catch let error as ConfigError {
            #expect(error.keyPath == "job.ranks" && "\(error)".contains("3 ranks") && "\(error)".contains("oversubscribe"), "\(error)")
            return true
        } catch {
            Issue.record("unexpected \(error)")
            return false
        }
    }

    @Test func moreRanksThanCoresAreRefusedOnlyWhenNothingAllowsThem() {
        #expect(!Self.refuses(2))
        #expect(Self.refuses(3))
        var oversubscribed = ClusterSpec(); oversubscribed.oversubscribe = true
        #expect(!Self.refuses(3, oversubscribed))
        var byArgument = ClusterSpec(); byArgument.mpirunArgs = ["--map-by", "core:OVERSUBSCRIBE"]
        #expect(!Self.refuses(3, byArgument))
        var byEnv = ClusterSpec(); byEnv.environment = ["OMPI_MCA_rmaps_base_oversubscribe": "1"]
        #expect(!Self.refuses(3, byEnv))
        #expect(!Self.refuses(3, environment: ["OMPI_MCA_rmaps_base_oversubscribe": "true"]))
        #expect(!Self.refuses(3, environment: ["SLURM_JOB_ID": "42"]))
        var listed = ClusterSpec(); listed.hosts = [HostSlots(host: "node1", slots: 1)]
        #expect(!Self.refuses(3, listed), "listed hosts' slots are checked when the config is read")
        var slurm = ClusterSpec(); slurm.launcher = .slurm
        #expect(!Self.refuses(3, slurm))
    }
}
