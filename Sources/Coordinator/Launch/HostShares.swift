// HostShares: the cluster's hosts shared out among a sweep's trials that run at once — each trial's
// ranks placed on slots no other running trial holds, so no host runs more ranks than its slots.
import Foundation

/// Places the ranks of trials that run side by side on the cluster's slots.
public struct HostShares: Sendable, Equatable {
    /// Every host and its slots (the per-host limit), each host once.
    public let hosts: [HostSlots]
    /// Index in `hosts` of this machine, when it is listed (or is the only host). Default nil.
    public var here: Int?
    /// Whether every trial's rank 0 goes to this machine (when listed): rank 0 writes the
    /// trial's folder and the coordinator reads it here, so without a run folder every host
    /// shares, rank 0 must run here. Default true.
    public var rankZeroHere = true
    /// Whether ranks may go past a host's slots when the free ones are too few
    /// (`cluster.oversubscribe`). Default false: the trial waits instead.
    public var oversubscribe = false

    /// Shares of `hosts` (a host listed twice counts its slots together).
    public init(hosts: [HostSlots], here: Int? = nil, oversubscribe: Bool = false) {
        var merged: [HostSlots] = []
        for host in hosts {
            if let i = merged.firstIndex(where: { $0.host == host.host }) { merged[i].slots += host.slots } else { merged.append(host) }
        }
        self.hosts = merged
        self.here = here.flatMap { i in merged.firstIndex { $0.host == hosts[i].host } }
        self.oversubscribe = oversubscribe
    }

    /// The hosts of `cluster` to share out: its `hosts` or hostfile lines, or this machine with one
    /// slot per core (`cores`) when none are listed. This machine is the listed host named
    /// `localhost`, a loopback address, `localHost` (its name) or one of `addresses` (its
    /// interfaces'). Nil when a hostfile line leaves its slots to Open MPI (no `slots=`): they are
    /// not known here.
    public static func of(_ cluster: ClusterSpec, localHost: String = ProcessInfo.processInfo.hostName,
                          addresses: Set<String> = LocalAddresses.all(),
                          cores: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> HostShares? {
        guard try RankPlacement.slotsKnown(cluster) else { return nil }
        let listed = try RankPlacement.listedHosts(cluster)
        guard !listed.isEmpty else { return HostShares(hosts: [HostSlots(host: "localhost", slots: cores)], here: 0, oversubscribe: cluster.oversubscribe) }
        let here = listed.firstIndex { ClusterSpec.isLocal($0.host, localHost: localHost) || addresses.contains($0.host) }
        return HostShares(hosts: listed, here: here, oversubscribe: cluster.oversubscribe)
    }

    /// Total slots.
    public var slots: Int { hosts.reduce(0) { $0 + $1.slots } }

    /// Slots of each host that `taken` (the placements of the trials running now) leaves free
    /// (below 0 where they are oversubscribed), in host order.
    func free(after taken: [[HostSlots]]) -> [Int] {
        hosts.map { host in host.slots - taken.joined().filter { $0.host == host.host }.reduce(0) { $0 + $1.slots } }
    }

    /// Where a trial of `ranks` ranks runs, as hosts with the number of its ranks on each (rank 0
    /// on the first). Rank 0 goes to this machine when it is listed (`here`, `rankZeroHere`); `onlyHere` keeps
    /// every rank there (a 1-rank training trial runs in the coordinator's process tree). Else the
    /// first host with enough free slots alone, else the free slots in host order. When too few
    /// are free, nil — or, oversubscribing, the rest go one at a time to the least loaded hosts.
    public func place(ranks: Int, taken: [[HostSlots]], onlyHere: Bool = false) -> [HostSlots]? {
        guard ranks > 0, !hosts.isEmpty, here != nil || !onlyHere else { return nil }
        var free = free(after: taken)
        var counts = [Int](repeating: 0, count: hosts.count)
        var order = Array(hosts.indices)
        var left = ranks
        if let here, onlyHere || rankZeroHere {
            order = onlyHere ? [here] : [here] + order.filter { $0 != here }
            if free[here] <= 0 {   // rank 0 goes here all the same, past its slots
                guard oversubscribe else { return nil }
                (counts[here], free[here], left) = (1, free[here] - 1, left - 1)
            }
        } else if let whole = free.firstIndex(where: { $0 >= ranks }) {
            return [HostSlots(host: hosts[whole].host, slots: ranks)]
        }
        for i in order where left > 0 && free[i] > 0 {
            counts[i] = min(free[i], left)
            free[i] -= counts[i]
            left -= counts[i]
        }
        if left > 0 {
            guard oversubscribe else { return nil }
            while left > 0 {
                let i = order.max { free[$0] < free[$1] || (free[$0] == free[$1] && $0 > $1) }!   // most room; first on ties
                counts[i] += 1
                free[i] -= 1
                left -= 1
            }
        }
        return order.filter { counts[$0] > 0 }.map { HostSlots(host: hosts[$0].host, slots: counts[$0]) }
    }
}
