// HostSharesTests: how the hosts are shared out among trials running at once — a whole host when one
// has room, else free slots in host order, never past a host's slots unless oversubscription is allowed.
import Foundation
import Testing
@testable import Coordinator

@Suite("HostShares")
struct HostSharesTests {
    static let three = HostShares(hosts: [HostSlots(host: "a", slots: 2), HostSlots(host: "b", slots: 2), HostSlots(host: "c", slots: 2)])

    static func text(_ placement: [HostSlots]?) -> String {
        placement.map { $0.map { "\($0.host):\($0.slots)" }.joined(separator: ",") } ?? "wait"
    }

    @Test("a trial takes one host when one has room, else free slots in host order; with none free it waits")
    func placesWithinSlots() {
        let shares = Self.three
        #expect(Self.text(shares.place(ranks: 2, taken: [])) == "a:2")
        #expect(Self.text(shares.place(ranks: 2, taken: [[HostSlots(host: "a", slots: 2)]])) == "b:2")
        #expect(Self.text(shares.place(ranks: 3, taken: [])) == "a:2,b:1")
        let first = [HostSlots(host: "a", slots: 2), HostSlots(host: "b", slots: 1)]
        #expect(Self.text(shares.place(ranks: 3, taken: [first])) == "b:1,c:2")
        #expect(Self.text(shares.place(ranks: 1, taken: [first])) == "b:1")
        #expect(Self.text(shares.place(ranks: 3, taken: [first, [HostSlots(host: "c", slots: 1)]])) == "wait")
        #expect(Self.text(shares.place(ranks: 7, taken: [])) == "wait")
        #expect(Self.text(shares.place(ranks: 0, taken: [])) == "wait")
    }

    @Test("trials placed one after another never put more ranks on a host than its slots", arguments: 1...6)
    func neverPastTheSlots(ranks: Int) {
        var taken: [[HostSlots]] = []
        while let placement = Self.three.place(ranks: ranks, taken: taken) {
            #expect(placement.reduce(0) { $0 + $1.slots } == ranks)
            taken.append(placement)
        }
        #expect(taken.count == 6 / ranks)
        #expect(Self.three.free(after: taken).allSatisfy { $0 >= 0 }, "\(taken)")
    }

    @Test("this machine, when listed, holds every trial's rank 0 (and all of a 1-rank training trial); without a free slot there, the trial waits")
    func rankZeroStaysHere() {
        let shares = HostShares(hosts: Self.three.hosts, here: 1)
        #expect(Self.text(shares.place(ranks: 2, taken: [])) == "b:2")
        #expect(Self.text(shares.place(ranks: 3, taken: [])) == "b:2,a:1")
        #expect(Self.text(shares.place(ranks: 3, taken: [[HostSlots(host: "b", slots: 1)]])) == "b:1,a:2")
        #expect(Self.text(shares.place(ranks: 2, taken: [[HostSlots(host: "b", slots: 2)]])) == "wait")
        #expect(Self.text(shares.place(ranks: 1, taken: [], onlyHere: true)) == "b:1")
        #expect(Self.text(shares.place(ranks: 1, taken: [[HostSlots(host: "b", slots: 2)]], onlyHere: true)) == "wait")
        #expect(Self.text(Self.three.place(ranks: 1, taken: [], onlyHere: true)) == "wait", "no machine of the cluster is this one")
        var shared = shares
        shared.rankZeroHere = false   // every host sees the run folder: rank 0 anywhere, a 1-rank training trial still here
        #expect(Self.text(shared.place(ranks: 2, taken: [[HostSlots(host: "b", slots: 2)]])) == "a:2")
        #expect(Self.text(shared.place(ranks: 1, taken: [], onlyHere: true)) == "b:1")
        let over = HostShares(hosts: Self.three.hosts, here: 1, oversubscribe: true)
        #expect(Self.text(over.place(ranks: 2, taken: [[HostSlots(host: "b", slots: 2)]])) == "b:1,a:1")
    }

    @Test("a host listed twice counts its slots together")
    func mergesAHostListedTwice() {
        let shares = HostShares(hosts: [HostSlots(host: "a", slots: 1), HostSlots(host: "b", slots: 2), HostSlots(host: "a", slots: 1)], here: 2)
        #expect(shares.hosts == [HostSlots(host: "a", slots: 2), HostSlots(host: "b", slots: 2)] && shares.here == 0)
        #expect(Self.text(shares.place(ranks: 2, taken: [])) == "a:2")
    }

    @Test("oversubscribing, the ranks beyond the free slots go to the least loaded hosts")
    func oversubscribes() {
        let shares = HostShares(hosts: Self.three.hosts, oversubscribe: true)
        let full = [[HostSlots(host: "a", slots: 2), HostSlots(host: "b", slots: 2)], [HostSlots(host: "c", slots: 1)]]
        #expect(Self.text(shares.place(ranks: 3, taken: full)) == "a:1,b:1,c:1")
        #expect(Self.text(shares.place(ranks: 8, taken: [])) == "a:3,b:3,c:2")
        #expect(Self.text(shares.place(ranks: 4, taken: full + full)) == "a:1,b:1,c:2")
    }

    @Test("the shared hosts: the listed ones, a hostfile's (only with every slots= given), else this machine's cores")
    func hostsOfACluster() throws {
        var cluster = ClusterSpec()
        #expect(try HostShares.of(cluster, localHost: "here", cores: 8) == HostShares(hosts: [HostSlots(host: "localhost", slots: 8)], here: 0))
        cluster.hosts = [HostSlots(host: "x", slots: 3), HostSlots(host: "here.lab", slots: 1)]
        cluster.oversubscribe = true
        #expect(try HostShares.of(cluster, localHost: "here.lab") == HostShares(hosts: cluster.hosts, here: 1, oversubscribe: true))
        #expect(try HostShares.of(cluster, localHost: "elsewhere", addresses: [])?.here == nil)
        #expect(try HostShares.of(cluster, localHost: "elsewhere", addresses: ["10.0.0.9", "x"])?.here == 0, "this machine named by an address")
        #expect(LocalAddresses.all().contains("127.0.0.1"))
        let known = try RankPlacementTests.cluster(hostfile: "n1 slots=2\nn2 slots=4\n")
        #expect(try HostShares.of(known)?.slots == 6)
        let unknown = try RankPlacementTests.cluster(hostfile: "n1 slots=2\nn2\n")
        #expect(try HostShares.of(unknown) == nil)
    }
}
