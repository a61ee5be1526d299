// SelfLaunch: re-runs this very binary on N local ranks under mpirun, for commands that start
// their own MPI job (benchmarks). Multi-host launches go through the cluster section instead.
import Coordinator

/// Runs `ringtrain <arguments>` on `ranks` ranks of this machine and returns mpirun's status.
func launchSelf(ranks: Int, arguments: [String]) throws -> Int32 {
    var cluster = ClusterSpec()
    cluster.oversubscribe = true
    let command = MPILauncher.command(cluster: cluster, ranks: ranks, program: MPILauncher.selfExecutable,
                                      arguments: arguments)
    return try MPILauncher.run(command)
}

/// Like `launchSelf`, but returns the job's standard output (standard error passes through).
func captureSelf(ranks: Int, arguments: [String]) throws -> String {
    var cluster = ClusterSpec()
    cluster.oversubscribe = true
    let command = MPILauncher.command(cluster: cluster, ranks: ranks, program: MPILauncher.selfExecutable,
                                      arguments: arguments)
    let (status, output) = try MPILauncher.capture(command)
    guard status == 0 else { throw LaunchError("mpirun exited with status \(status):\n\(output)") }
    return output
}
