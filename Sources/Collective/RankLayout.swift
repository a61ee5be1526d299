// RankLayout: which ranks share a host, from each rank's host identity, and whether they form
// the shape a two-level all-reduce needs (two hosts or more, the same number of ranks on each).

/// The ranks grouped by host.
public struct RankLayout: Sendable, Equatable {
    /// Each host's ranks in rank order; hosts in the order of their lowest rank.
    public let hosts: [[Int]]

    /// Groups ranks 0 ..< hostOfRank.count by their host identity (any value equal on the ranks
    /// of one host and different between hosts, e.g. a hash of the host name).
    public init<Identity: Hashable>(hostOfRank: [Identity]) {
        var order: [Identity] = [], members: [Identity: [Int]] = [:]
        for (rank, host) in hostOfRank.enumerated() {
            if members[host] == nil { order.append(host) }
            members[host, default: []].append(rank)
        }
        hosts = order.map { members[$0]! }
    }

    /// Ranks per host when every host has as many, else nil.
    public var ranksPerHost: Int? {
        guard let first = hosts.first?.count, hosts.allSatisfy({ $0.count == first }) else { return nil }
        return first
    }

    /// The most edges of the flat ring (rank r to r+1, the last to 0) that leave one host: 1
    /// when ranks fill hosts in order, up to the host's ranks when they go round the hosts.
    public var ringEdgesLeavingAHost: Int {
        let size = hosts.reduce(0) { $0 + $1.count }
        var hostOf = [Int](repeating: 0, count: size)
        for (h, ranks) in hosts.enumerated() { for r in ranks { hostOf[r] = h } }
        return hosts.map { $0.filter { hostOf[($0 + 1) % size] != hostOf[$0] }.count }.max() ?? 0
    }

    /// Whether a two-level all-reduce applies: at least 2 hosts with the same number of ranks,
    /// at least 2 on each (with one rank per host it is the flat ring).
    public var allowsTwoLevel: Bool { hosts.count >= 2 && (ranksPerHost ?? 0) >= 2 }

    /// `rank`'s host (index into `hosts`) and its index among that host's ranks.
    public func position(of rank: Int) -> (host: Int, local: Int) {
        for (host, ranks) in hosts.enumerated() {
            if let local = ranks.firstIndex(of: rank) { return (host, local) }
        }
        preconditionFailure("rank \(rank) is on no host")
    }

    /// The ranks with index `local` on their host, one per host, in host order.
    public func crossHostRanks(local: Int) -> [Int] { hosts.map { $0[local] } }
}
