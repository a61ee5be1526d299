// SlurmLauncher: `cluster.launcher: slurm` — runs the ranks with srun inside a Slurm allocation
// (salloc or an sbatch script) instead of mpirun; outside an allocation it says how to get one.
import Foundation

/// Builds the srun command for a job.
public enum SlurmLauncher {
    /// `srun --ntasks N --exact --mpi=pmix --kill-on-bad-exit=1 --export=ALL,... program arguments`:
    /// one job step using only the CPUs of its N tasks (`--exact`), so a sweep's trials run as
    /// steps side by side in one allocation instead of one after another.
    /// Hosts come from the allocation; `cluster.hosts`/`hostfile` are not used. srun forwards
    /// SIGUSR1 to every task, so a stop request checkpoints as under mpirun. `slurm` is the
    /// environment Slurm gave this process (default: this process's own): outside an
    /// allocation, or with fewer tasks than `ranks`, it throws a `LaunchError` saying what to ask for.
    public static func command(cluster: ClusterSpec, ranks: Int, program: String, arguments: [String],
                               slurm: [String: String] = ProcessInfo.processInfo.environment) throws -> LaunchCommand {
        guard slurm["SLURM_JOB_ID"] != nil else {
            throw LaunchError("cluster.launcher is slurm but this is not a Slurm allocation (SLURM_JOB_ID is unset): "
                              + "run ringtrain inside `salloc -n \(ranks)` or an sbatch script, or use launcher: mpirun")
        }
        // salloc -n / sbatch --ntasks set SLURM_NTASKS; without it srun fits the tasks to the CPUs itself.
        if let text = slurm["SLURM_NTASKS"], let tasks = Int(text), tasks < ranks {
            throw LaunchError("the job has \(ranks) ranks but this Slurm allocation (job \(slurm["SLURM_JOB_ID"]!)) has \(tasks) task"
                              + "\(tasks == 1 ? "" : "s") (SLURM_NTASKS=\(tasks)): ask for \(ranks) with `salloc -n \(ranks)` or "
                              + "`#SBATCH --ntasks=\(ranks)`, or run fewer ranks with --ranks \(tasks)")
        }
        var environment = cluster.environment
        if environment["OPENBLAS_NUM_THREADS"] == nil { environment["OPENBLAS_NUM_THREADS"] = "1" }
        let exports = (["ALL"] + environment.keys.sorted().map { "\($0)=\(environment[$0]!)" }).joined(separator: ",")
        let args = ["--ntasks", "\(ranks)", "--exact", "--mpi=pmix", "--kill-on-bad-exit=1", "--export=\(exports)"]
            + cluster.mpirunArgs + [program] + arguments
        return LaunchCommand(executable: "srun", arguments: args, environment: [:])
    }

    /// Refuses a sweep of training trials under `launcher: slurm` outside an allocation (every
    /// trial would fail), or whose trials cannot all run at once in it: `parallel` trials of
    /// `ranks` ranks need `parallel × ranks` of its SLURM_NTASKS tasks (else trials would wait for
    /// each other's steps while their time limits run).
    public static func checkSweep(parallel: Int, ranks: Int, configPath: String,
                                  slurm: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard slurm["SLURM_JOB_ID"] != nil else {
            throw ConfigError(file: configPath, keyPath: "cluster.launcher",
                              message: "is slurm but this is not a Slurm allocation (SLURM_JOB_ID is unset)",
                              hint: "run the sweep inside `salloc -n \(parallel * ranks)` or an sbatch script, or use launcher: mpirun")
        }
        guard let text = slurm["SLURM_NTASKS"], let tasks = Int(text), parallel * ranks > tasks else { return }
        throw ConfigError(file: configPath, keyPath: "sweep.parallel",
                          message: "\(parallel) trials at a time of \(ranks) rank\(ranks == 1 ? "" : "s") each need \(parallel * ranks) tasks, "
                              + "but this Slurm allocation (job \(slurm["SLURM_JOB_ID"] ?? "?")) has \(tasks) (SLURM_NTASKS=\(tasks))",
                          hint: "set sweep.parallel to at most \(max(1, tasks / ranks)), or ask for \(parallel * ranks) tasks (salloc -n \(parallel * ranks))")
    }
}
