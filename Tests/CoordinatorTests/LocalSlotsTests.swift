// LocalSlotsTests: a job on this machine alone is refused before launch when its ranks exceed the
// processors, and only then: not when oversubscription, hosts or slots are allowed any way mpirun
// knows (config, mpirun_args, Open MPI's variables, parameter files and default hostfile), when
// hosts are listed, or inside a batch allocation whose slots mpirun reads.
import Foundation
import Testing
@testable import Coordinator

struct LocalSlotsTests {
    static func refuses(_ ranks: Int, _ cluster: ClusterSpec = ClusterSpec(), environment: [String: String] = [:],
                        settings: LocalSlots.Settings = .init(), processors: Int? = 2) -> Bool {
        guard let problem = LocalSlots.problem(ranks: ranks, cluster: cluster, file: "job.yaml", processors: processors,
                                               environment: environment, settings: settings) else { return false }
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
        #expect(Self.refuses(3, Self.cluster { $0.mpirunArgs = ["--nooversubscribe", "--bind-to", "none"] }))
        #expect(Self.refuses(3, environment: ["OMPI_MCA_rmaps_base_oversubscribe": "", "SLURM_JOB_ID": ""]), "empty is unset")
        #expect(Self.refuses(3, Self.cluster { $0.environment = ["OMPI_MCA_rmaps_base_oversubscribe": "1"] }),
                "cluster.env reaches the ranks (-x), not mpirun")
        #expect(Self.refuses(3, settings: .init(parameters: ["btl = ^openib", "mtl = ^ofi"])), "Debian's own settings allow nothing more")
    }

    @Test func anythingThatMayGiveMpirunMoreIsLeftToIt() {
        #expect(!Self.refuses(3, processors: nil), "a system that cannot count its processors")
        #expect(!Self.refuses(3, Self.cluster { $0.oversubscribe = true }))
        for arguments in [["--map-by", "core:OVERSUBSCRIBE"], ["-H", "a,b"], ["--host=a:4"], ["--machinefile=m"], ["-rf", "ranks.txt"],
                          ["--mca", "orte_set_default_slots", "16"], ["--tune", "t.conf"], ["-am=t.conf"]] {
            #expect(!Self.refuses(3, Self.cluster { $0.mpirunArgs = arguments }), "\(arguments)")
        }
        for (key, value) in [("OMPI_MCA_rmaps_base_oversubscribe", "true"), ("OMPI_MCA_rmaps_base_mapping_policy", "core:oversubscribe"),
                             ("PRTE_MCA_rmaps_default_mapping_policy", ":OVERSUBSCRIBE"), ("OMPI_MCA_orte_default_hostfile", "/etc/h"),
                             ("OMPI_MCA_orte_set_default_slots", "16"), ("PRTE_MCA_prte_set_default_slots", "16"),
                             ("OMPI_MCA_mca_base_param_files", "/tmp/p.conf"),
                             ("SLURM_JOB_ID", "42"), ("PBS_JOBID", "7")] {
            #expect(!Self.refuses(3, environment: [key: value]), "\(key)")
        }
        #expect(!Self.refuses(3, settings: .init(parameters: ["rmaps_base_oversubscribe = 1"])))
        #expect(!Self.refuses(3, settings: .init(parameters: ["orte_set_default_slots = 8"])))
        #expect(!Self.refuses(3, settings: .init(defaultHosts: ["localhost slots=8"])))
        #expect(!Self.refuses(3, Self.cluster { $0.hosts = [HostSlots(host: "node1", slots: 1)] }),
                "listed hosts' slots are checked when the config is read")
        #expect(!Self.refuses(3, Self.cluster { $0.launcher = .slurm }))
    }
}

@Test("Open MPI's settings are read from the user's and the system's files of Open MPI 4 and 5")
func openMPISettingsAreRead() throws {
    let home = try TestFolder.make()
    try FileManager.default.createDirectory(atPath: home + "/.prte", withIntermediateDirectories: true)
    try "# a comment\n\nrmaps_default_mapping_policy = :oversubscribe\n".write(toFile: home + "/.prte/mca-params.conf", atomically: true, encoding: .utf8)
    let prefix = try TestFolder.make()
    try FileManager.default.createDirectory(atPath: prefix + "/etc", withIntermediateDirectories: true)
    try "# hosts\nlocalhost slots=8\n".write(toFile: prefix + "/etc/prte-default-hostfile", atomically: true, encoding: .utf8)
    let settings = LocalSlots.Settings.read(environment: ["OPAL_PREFIX": prefix], home: home)
    #expect(settings.parameters.contains("rmaps_default_mapping_policy = :oversubscribe"), "\(settings.parameters)")
    #expect(settings.defaultHosts.contains("localhost slots=8"), "\(settings.defaultHosts)")
}
