// TrialHosts: where a sweep's trial runs — its share of the cluster's hosts beside the trials running
// now (or a wait for one), its rendezvous port, and a training trial's cluster section on that share.
import Foundation

extension SweepRunner {
    /// What the hosts allow a trial now.
    enum HostDecision {
        /// It starts on these hosts (nil: it holds none — one process here, or Slurm places it).
        case placed(TrialPlacement?)
        /// Too few slots are free now; it starts when a running trial ends.
        case waits
        /// It could never fit the cluster's slots (the message says why and what to change).
        case neverFits(String)
    }

    /// The slots the running trials hold.
    var takenSlots: [[HostSlots]] { active.values.compactMap { $0.placement?.slots } }

    /// Where a trial of `ranks` ranks (nil: one process) runs: a distributed program's ranks, or a
    /// `training` trial's (one rank trains in-process on this machine, and takes a slot of it
    /// when it is listed). A distributed program also gets a MASTER_PORT no running trial uses.
    func hosts(ranks: Int?, training: Bool) throws -> HostDecision {
        guard let ranks, training || spec.programRanks != nil else { return .placed(nil) }
        var hosts: [HostSlots] = []
        if let shares {
            let here = training && ranks == 1
            if !shares.oversubscribe && ranks > shares.slots {
                return .neverFits("its \(ranks) ranks need more slots than the cluster's \(shares.slots) "
                                  + "(lower the ranks, add hosts, or set cluster.oversubscribe: true)")
            }
            if !(here && shares.here == nil) {   // a 1-rank trial on a machine the cluster does not list holds none of its slots
                guard let placed = shares.place(ranks: ranks, taken: takenSlots, onlyHere: here) else { return .waits }
                hosts = placed
            }
        } else if training && ranks == 1 {
            return .placed(nil)
        }
        let port = training ? nil : try TCPPort.free(avoiding: Set(active.values.compactMap { $0.placement?.port }))
        return .placed(hosts.isEmpty && port == nil ? nil : TrialPlacement(hosts: hosts, port: port))
    }

    /// A training trial's cluster section on the hosts it was given (when the sweep's lists
    /// hosts), its ranks left unpinned when several trials run at once under mpirun (they may
    /// share a host, and Open MPI would pin each trial's ranks to the same first cores).
    static func cluster(_ cluster: ClusterSpec, placedOn placement: TrialPlacement, parallel: Int) -> ClusterSpec {
        guard cluster.launcher == .mpirun else { return cluster }
        var placed = cluster
        if !placement.hosts.isEmpty, !cluster.hosts.isEmpty || cluster.hostfile != nil {
            placed.hosts = placement.slots
            placed.hostfile = nil
        }
        if parallel > 1 { placed.mpirunArgs = MPILauncher.unpinned(cluster.mpirunArgs) }
        return placed
    }
}
