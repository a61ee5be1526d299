// SelfLaunch: re-runs this very binary on N local ranks under mpirun, for commands that start
// their own MPI job (benchmarks), or on the hosts of a cluster section they were given.

/// Starting this binary's own MPI job.
public enum SelfLaunch {
    /// Runs `ringtrain <arguments>` on `ranks` ranks as `cluster` says (default: this machine,
    /// oversubscribed) and returns mpirun's status.
    public static func run(ranks: Int, arguments: [String], cluster: ClusterSpec? = nil) throws -> Int32 {
        try MPILauncher.run(command(ranks: ranks, arguments: arguments, cluster: cluster))
    }

    /// Like `run`, but returns the job's standard output (standard error passes through).
    /// - Throws: `LaunchError` when mpirun exits with a non-zero status.
    public static func capture(ranks: Int, arguments: [String], cluster: ClusterSpec? = nil) throws -> String {
        let (status, output) = try MPILauncher.capture(command(ranks: ranks, arguments: arguments, cluster: cluster))
        guard status == 0 else { throw LaunchError("mpirun exited with status \(status):\n\(output)") }
        return output
    }

    /// The mpirun command running this binary; without a cluster, on this machine, oversubscribed.
    private static func command(ranks: Int, arguments: [String], cluster: ClusterSpec?) -> LaunchCommand {
        let cluster = cluster ?? { var local = ClusterSpec(); local.oversubscribe = true; return local }()
        return MPILauncher.command(cluster: cluster, ranks: ranks, program: MPILauncher.selfExecutable, arguments: arguments)
    }
}
