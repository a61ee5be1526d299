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

    /// With this machine listed beside other hosts: when every other host sees the sweep's
    /// folder (checked through the pre-flight's remote shell), a trial's rank 0 may run on any
    /// host; otherwise it runs here, where its folder is read (said on the console).
    func decideWhereRankZeroRuns() {
        guard var shared = shares, let here = shared.here, shared.hosts.count > 1 else { return }
        let marker = URL(fileURLWithPath: runDirectory + "/" + SweepFolder.storeFile).standardizedFileURL.path
        if config.cluster.preflight,
           let outcomes = try? HostPreflight.outcomes(config.cluster, binary: MPILauncher.selfExecutable, files: [marker]),
           outcomes.allSatisfy({ $0.outcome == .ok }) {
            shared.rankZeroHere = false
            shares = shared
            console.line("sweep: every host sees the run folder; a trial's rank 0 may run on any of them")
        } else {
            console.line("sweep: a trial's rank 0 runs on this machine (\(shared.hosts[here].host)), where the coordinator reads its folder: "
                         + (config.cluster.preflight ? "not every host sees the run folder" : "cluster.preflight is off, so the run folder is not checked")
                         + "; a trial waits for a free slot here")
        }
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
        if !placement.hosts.isEmpty, cluster.listsHosts {
            placed.hosts = placement.slots
            placed.hostfile = nil
        }
        if parallel > 1 { placed.mpirunArgs = MPILauncher.unpinned(cluster.mpirunArgs) }
        return placed
    }
}
