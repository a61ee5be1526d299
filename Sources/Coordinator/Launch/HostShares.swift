// HostShares: the cluster's hosts shared out among a sweep's trials that run at once — each trial's
// ranks placed on slots no other running trial holds, so no host runs more ranks than its slots.
import Foundation

/// Places the ranks of trials that run side by side on the cluster's slots.
public struct HostShares: Sendable, Equatable {
    /// Every host and its slots (the per-host limit).
    public let hosts: [HostSlots]
    /// Whether ranks may go past a host's slots when the free ones are too few
    /// (`cluster.oversubscribe`). Default false: the trial waits instead.
    public var oversubscribe = false

    public init(hosts: [HostSlots], oversubscribe: Bool = false) {
        self.hosts = hosts
        self.oversubscribe = oversubscribe
    }

    /// The hosts of `cluster` to share out: its `hosts` or hostfile lines, or this machine
    /// (`localHost`) with one slot per core (`cores`) when none are listed. Nil when a hostfile
    /// line leaves its slots to Open MPI (no `slots=`): they are not known here.
    public static func of(_ cluster: ClusterSpec, localHost: String = "localhost",
                          cores: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> HostShares? {
        guard try RankPlacement.slotsKnown(cluster) else { return nil }
        let listed = try RankPlacement.listedHosts(cluster)
        return HostShares(hosts: listed.isEmpty ? [HostSlots(host: localHost, slots: cores)] : listed,
                          oversubscribe: cluster.oversubscribe)
    }

    /// Total slots.
    public var slots: Int { hosts.reduce(0) { $0 + $1.slots } }

    /// Slots of each host that `taken` (the placements of the trials running now) leaves free
    /// (below 0 where they are oversubscribed), in host order.
    func free(after taken: [[HostSlots]]) -> [Int] {
        hosts.map { host in host.slots - taken.joined().filter { $0.host == host.host }.reduce(0) { $0 + $1.slots } }
    }

    /// Where a trial of `ranks` ranks runs, as hosts with the number of its ranks on each (in
    /// host order, so rank 0 is on the first): the first host with enough free slots alone, else
    /// the free slots in host order. When too few are free, nil — or, oversubscribing, the rest go
    /// one at a time to the least loaded hosts.
    public func place(ranks: Int, taken: [[HostSlots]]) -> [HostSlots]? {
        guard ranks > 0, !hosts.isEmpty else { return nil }
        var free = free(after: taken)
        if let whole = free.firstIndex(where: { $0 >= ranks }) { return [HostSlots(host: hosts[whole].host, slots: ranks)] }
        var counts = [Int](repeating: 0, count: hosts.count)
        var left = ranks
        for i in hosts.indices where left > 0 && free[i] > 0 {
            counts[i] = min(free[i], left)
            free[i] -= counts[i]
            left -= counts[i]
        }
        if left > 0 {
            guard oversubscribe else { return nil }
            while left > 0 {
                let i = free.indices.max { free[$0] < free[$1] }!   // the most room left; the first on ties
                counts[i] += 1
                free[i] -= 1
                left -= 1
            }
        }
        return hosts.indices.filter { counts[$0] > 0 }.map { HostSlots(host: hosts[$0].host, slots: counts[$0]) }
    }
}
