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

    /// `validate` judges memory only on a machine the ranks run on.
    @Test("the ranks run only here with no hosts, or only localhost, a loopback address or this machine's name")
    func runsOnlyHere() {
        func cluster(_ hosts: [String], hostfile: String? = nil) -> ClusterSpec {
            var spec = ClusterSpec()
            spec.hosts = hosts.map { HostSlots(host: $0, slots: 2) }
            spec.hostfile = hostfile
            return spec
        }
        #expect(cluster([]).runsOnlyHere(localHost: "node7.example.org"))
        #expect(cluster(["localhost", "127.0.0.1", "node7"]).runsOnlyHere(localHost: "node7.example.org"))
        #expect(cluster(["node7.example.org"]).runsOnlyHere(localHost: "node7.example.org"))
        #expect(!cluster(["localhost", "node8"]).runsOnlyHere(localHost: "node7.example.org"))
        #expect(!cluster([], hostfile: "hosts.txt").runsOnlyHere(localHost: "node7"))
    }
}
