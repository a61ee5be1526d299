// SlurmLauncher: `cluster.launcher: slurm` — runs the ranks with srun inside a Slurm allocation
// (salloc or an sbatch script) instead of mpirun; outside an allocation it says how to get one.
import Foundation

/// Builds the srun command for a job.
public enum SlurmLauncher {
    /// Whether this process runs inside a Slurm allocation.
    public static var insideAllocation: Bool { ProcessInfo.processInfo.environment["SLURM_JOB_ID"] != nil }

    /// `srun --ntasks N --mpi=pmix --kill-on-bad-exit=1 --export=ALL,... program arguments`.
    /// Hosts come from the allocation; `cluster.hosts`/`hostfile` are not used. srun forwards
    /// SIGUSR1 to every task, so a stop request checkpoints as under mpirun.
    public static func command(cluster: ClusterSpec, ranks: Int, program: String, arguments: [String]) throws -> LaunchCommand {
        guard insideAllocation else {
            throw LaunchError("cluster.launcher is slurm but this is not a Slurm allocation (SLURM_JOB_ID is unset): "
                              + "run ringtrain inside `salloc -n \(ranks)` or an sbatch script, or use launcher: mpirun")
        }
        var environment = cluster.environment
        if environment["OPENBLAS_NUM_THREADS"] == nil { environment["OPENBLAS_NUM_THREADS"] = "1" }
        let exports = (["ALL"] + environment.keys.sorted().map { "\($0)=\(environment[$0]!)" }).joined(separator: ",")
        let args = ["--ntasks", "\(ranks)", "--mpi=pmix", "--kill-on-bad-exit=1", "--export=\(exports)"]
            + cluster.mpirunArgs + [program] + arguments
        return LaunchCommand(executable: "srun", arguments: args, environment: [:])
    }
}
