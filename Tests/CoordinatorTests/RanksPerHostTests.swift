// RanksPerHostTests: how many of a job's ranks the busiest host runs when mpirun fills the listed
// hosts' slots in order — what `validate` divides a host's memory by.
import Testing
@testable import Coordinator

struct RanksPerHostTests {
    /// (slots per listed host, ranks, ranks on the busiest host).
    static let cases: [([Int], Int, Int)] = [
        ([], 4, 4),            // no hosts listed: all on this one
        ([2, 2], 4, 2),
        ([2, 2], 3, 2),
        ([1, 4], 2, 1),        // the first host's slot, then one on the second
        ([1, 4], 5, 4),
        ([2, 2], 6, 6),        // oversubscribed: assume the worst
    ]

    @Test("ranks on the busiest host", arguments: cases.indices)
    func busiestHost(_ index: Int) {
        let (slots, ranks, expected) = Self.cases[index]
        var cluster = ClusterSpec()
        cluster.hosts = slots.enumerated().map { HostSlots(host: "node\($0.offset)", slots: $0.element) }
        #expect(cluster.ranksOnBusiestHost(ranks: ranks) == expected)
    }
}
