// DistributedProgramTrial: the command of a program trial with `program_ranks` — mpirun (or srun in
// a Slurm allocation) starting the rank shim on the trial's hosts, with the rendezvous address and port.
import Foundation

/// How a distributed program trial is started.
struct DistributedProgramTrial {
    /// The sweep's cluster section.
    let cluster: ClusterSpec
    /// Ranks of the trial.
    let ranks: Int
    /// Where its ranks go and its MASTER_PORT (hosts empty: the launcher places them — under
    /// Slurm, or a hostfile without slots).
    let placement: TrialPlacement?
    /// The program's argument vector (element 0 is the executable).
    let arguments: [String]

    /// The launcher command (run by the trial's supervisor) and the variables the supervisor
    /// itself needs. `variables` (the trial folder, tag, attempt, a population member's folders)
    /// reach every rank, on every host.
    func command(variables: [String: String]) throws -> (arguments: [String], environment: [String: String]) {
        let listsHosts = cluster.listsHosts
        var ranksCluster = cluster
        ranksCluster.environment.merge(variables) { $1 }
        if let port = placement?.port { ranksCluster.environment[ProgramRank.portVariable] = String(port) }
        if cluster.launcher == .mpirun {   // rank 0 goes to the first host mpirun is given
            var address = listsHosts ? placement?.hosts.first?.host ?? (try? RankPlacement.listedHosts(cluster))?.first?.host ?? "127.0.0.1" : "127.0.0.1"
            // "localhost" means this machine to mpirun, but another host's ranks must be given its name.
            let localHost = ProcessInfo.processInfo.hostName
            if ClusterSpec.isLocal(address, localHost: localHost) && !cluster.runsOnlyHere(localHost: localHost) { address = localHost }
            ranksCluster.environment[ProgramRank.addressVariable] = address
            if listsHosts, let placement, !placement.hosts.isEmpty {
                ranksCluster.hosts = placement.slots
                ranksCluster.hostfile = nil
            }
        }
        let shim = ["program-rank", "--"] + arguments
        if cluster.launcher == .slurm {   // srun places the ranks; the shim finds the first host
            let launch = try SlurmLauncher.command(cluster: ranksCluster, ranks: ranks, program: MPILauncher.selfExecutable, arguments: shim)
            return ([launch.executable] + launch.arguments, launch.environment)
        }
        ranksCluster.mpirunArgs = MPILauncher.unpinned(cluster.mpirunArgs)
        let launch = MPILauncher.command(cluster: ranksCluster, ranks: ranks, program: MPILauncher.selfExecutable, arguments: shim)
        return ([launch.executable] + launch.arguments, launch.environment)
    }
}
