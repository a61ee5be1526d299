// LocalSlots: a job whose ranks all run on this machine must fit its cores, which is what mpirun
// counts as slots here, unless oversubscription is allowed. Checked before a launch (and by
// validate), so the error names job.ranks instead of mpirun's page about slots.
import Foundation

public enum LocalSlots {
    /// Environment variables of batch systems whose allocation mpirun reads its slots from.
    static let allocationVariables = ["SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "PE_HOSTFILE"]

    /// Throws a `ConfigError` on `job.ranks` of `file` when `ranks` ranks would run under mpirun on
    /// this machine alone (no hosts listed, outside a batch allocation) and exceed its `cores`,
    /// with oversubscription allowed nowhere: not in `cluster.oversubscribe`, `cluster.mpirun_args`
    /// or Open MPI's `OMPI_MCA_rmaps_base_oversubscribe` (in `cluster.env` or `environment`).
    public static func check(ranks: Int, cluster: ClusterSpec, file: String,
                             cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard ranks > 1, ranks > cores, cluster.launcher == .mpirun, !cluster.listsHosts, !cluster.oversubscribe,
              !cluster.mpirunArgs.contains(where: { $0.lowercased().contains("oversubscribe") }),
              cluster.environment["OMPI_MCA_rmaps_base_oversubscribe"] == nil,
              environment["OMPI_MCA_rmaps_base_oversubscribe"] == nil,
              !allocationVariables.contains(where: { environment[$0] != nil }) else { return }
        throw ConfigError(file: file, keyPath: "job.ranks",
                          message: "\(ranks) ranks on this machine need \(ranks) slots, but mpirun counts \(cores) here (its cores)",
                          hint: "lower job.ranks (or --ranks) to \(cores), list hosts in cluster.hosts, or set cluster.oversubscribe: true")
    }
}
