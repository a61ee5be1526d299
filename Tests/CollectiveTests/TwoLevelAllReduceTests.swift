// TwoLevelAllReduceTests: the two-level all-reduce on in-process ranks given host identities —
// the ranks' layout, equality with the flat ring (exact on small integers, to rounding on other
// values, fp16 on the wire), its reduce-scatter and all-gather halves, and when it applies.
import Testing
@testable import Collective

@Suite struct TwoLevelAllReduceTests {
    /// Host identities of the ranks: 2 hosts × 2 (packed and interleaved), 2 × 3, 3 × 2.
    static let layouts: [[UInt32]] = [[7, 7, 9, 9], [7, 9, 7, 9], [1, 1, 1, 2, 2, 2], [4, 4, 5, 5, 6, 6]]
    static let options = CollectiveOptions(chunkElements: 16, wholeSegmentElements: 0, pipelineDepth: 3, smallMessageBytes: 0)
    static let lengths = [0, 1, 5, 7, 100, 1001]

    @Test func layoutGroupsRanksByHost() {
        let layout = RankLayout(hostOfRank: [7, 9, 7, 9])
        #expect(layout.hosts == [[0, 2], [1, 3]] && layout.ranksPerHost == 2 && layout.allowsTwoLevel)
        #expect(layout.position(of: 3) == (host: 1, local: 1) && layout.crossHostRanks(local: 0) == [0, 1])
        #expect(!RankLayout(hostOfRank: [1, 1, 1, 1]).allowsTwoLevel, "one host")
        #expect(!RankLayout(hostOfRank: [1, 2, 3]).allowsTwoLevel, "one rank per host")
        #expect(!RankLayout(hostOfRank: [1, 1, 2, 2, 2]).allowsTwoLevel && RankLayout(hostOfRank: [1, 1, 2, 2, 2]).ranksPerHost == nil, "uneven")
    }

    /// Runs `body` on in-process ranks with `hosts` as their host identities, the two-level
    /// all-reduce chosen (`twoLevel`) or the flat ring.
    static func run<T: Sendable>(_ hosts: [UInt32], twoLevel: Bool,
                                 _ body: @escaping @Sendable (Collectives) throws -> T) throws -> [T] {
        try InProcessCommunicator.run(size: hosts.count) { comm in
            let collectives = Collectives(comm, options: options)
            try collectives.chooseAllReduce(twoLevel ? .twoLevel : .ring, hostIdentity: hosts[comm.rank])
            #expect(collectives.allReduceAlgorithm == (twoLevel ? .twoLevel : .ring))
            return try body(collectives)
        }
    }

    @Test(arguments: layouts)
    func equalsTheRingExactlyOnSmallIntegers(hosts: [UInt32]) throws {
        for length in Self.lengths {
            let sums = try [true, false].map { twoLevel in
                try Self.run(hosts, twoLevel: twoLevel) { collectives in
                    var values = (0..<length).map { SeededTestValues.integer(rank: collectives.rank, index: $0) }
                    try collectives.allReduce(&values)
                    return values
                }
            }
            let expected = (0..<length).map { i in (0..<hosts.count).reduce(Float(0)) { $0 + SeededTestValues.integer(rank: $1, index: i) } }
            for rank in hosts.indices {
                #expect(sums[0][rank] == expected, "two-level, \(hosts), length \(length), rank \(rank)")
                #expect(sums[1][rank] == expected, "ring, \(hosts), length \(length), rank \(rank)")
            }
        }
    }

    /// Other values: every rank gets the same bits, and they differ from the flat ring's only by
    /// the rounding of two orders of N−1 additions (each within (N−1)·u·Σ|x| of the exact sum,
    /// u = 2⁻²⁴), scaled by 1/N for the average; fp16 on the wire also rounds each partial sum
    /// to 11 bits at each of at most N hops.
    @Test(arguments: layouts, [false, true])
    func equalsTheRingToRoundingOnOtherValues(hosts: [UInt32], halfPrecision: Bool) throws {
        let n = hosts.count
        for length in Self.lengths {
            let results = try [true, false].map { twoLevel in
                try Self.run(hosts, twoLevel: twoLevel) { collectives in
                    var values = (0..<length).map { SeededTestValues.value(rank: collectives.rank, index: $0) }
                    try collectives.allReduce(&values, op: .average, halfPrecision: halfPrecision)
                    return values
                }
            }
            let unit: Double = halfPrecision ? 0x1p-11 : 0x1p-24
            for rank in 0..<n {
                #expect(results[0][rank] == results[0][0], "two-level replicas differ: \(hosts), length \(length)")
            }
            for i in 0..<length {
                let magnitude = (0..<n).reduce(0.0) { $0 + Double(abs(SeededTestValues.value(rank: $1, index: i))) } / Double(n)
                let bound = 2 * Double(n) * unit * magnitude + 2 * Double(Float.ulpOfOne)
                let difference = abs(Double(results[0][0][i]) - Double(results[1][0][i]))
                #expect(difference <= bound, "\(hosts), fp16 \(halfPrecision), length \(length), element \(i): \(difference) > \(bound)")
            }
        }
    }

    /// After the reduce-scatter each rank owns a range (`ownedSegment`, the same on every rank)
    /// holding the full sum; the ranges tile the buffer; the all-gather spreads each owner's values.
    @Test(arguments: layouts)
    func halvesOwnRangesThatTileTheBuffer(hosts: [UInt32]) throws {
        let n = hosts.count
        for length in Self.lengths {
            let results = try Self.run(hosts, twoLevel: true) { collectives in
                var values = (0..<length).map { SeededTestValues.integer(rank: collectives.rank, index: $0) }
                return try values.withUnsafeMutableBufferPointer { buffer in
                    let owned = try collectives.reduceScatter(buffer)
                    let sums = Array(buffer[owned])
                    for i in owned { buffer[i] = Float(collectives.rank * 1000 + i) }   // a sharded update's own values
                    try collectives.allGather(segments: buffer)
                    return (owned, sums, Array(buffer), (0..<n).map { collectives.ownedSegment(length: length, rank: $0) })
                }
            }
            var owner = [Int?](repeating: nil, count: length)
            for (rank, result) in results.enumerated() {
                #expect(result.3 == results[0].3 && result.3[rank] == result.0, "every rank agrees on who owns what")
                for i in result.0 {
                    #expect(owner[i] == nil, "element \(i) owned twice")
                    owner[i] = rank
                }
                let expected = result.0.map { i in (0..<n).reduce(Float(0)) { $0 + SeededTestValues.integer(rank: $1, index: i) } }
                #expect(result.1 == expected, "rank \(rank) owns the full sums")
            }
            #expect(owner.allSatisfy { $0 != nil }, "\(hosts), length \(length): the owned ranges cover the buffer")
            let gathered = (0..<length).map { i in Float((owner[i] ?? 0) * 1000 + i) }
            for result in results { #expect(result.2 == gathered) }
        }
    }

    @Test("on one host, with one rank per host or uneven hosts the flat ring stays; .ring exchanges nothing")
    func theRingStaysWhereTwoLevelWouldOnlyRepeatIt() throws {
        for hosts: [UInt32] in [[1, 1, 1, 1], [1, 2, 3], [1, 1, 2, 2, 2]] {
            let algorithms = try InProcessCommunicator.run(size: hosts.count) { comm in
                let collectives = Collectives(comm, options: Self.options)
                let layout = try collectives.chooseAllReduce(.auto, hostIdentity: hosts[comm.rank])
                #expect(layout?.hosts.flatMap { $0 }.sorted() == Array(0..<hosts.count))
                return collectives.allReduceAlgorithm
            }
            #expect(algorithms.allSatisfy { $0 == .ring }, "\(hosts)")
        }
        let none = try InProcessCommunicator.run(size: 2) { comm in try Collectives(comm).chooseAllReduce(.ring, hostIdentity: UInt32(comm.rank)) }
        #expect(none.allSatisfy { $0 == nil })
    }

    /// `auto` where the two-level scheme applies: rank 0 probes its links, every rank gets the same
    /// figures and so makes the same choice once a step's all-reduces are known, and the sum is
    /// right whichever was chosen. Nothing is chosen before; a second settle changes nothing.
    @Test(arguments: [[7, 7, 9, 9], [7, 9, 7, 9]] as [[UInt32]])
    func autoDecidesFromMeasuredLinksAlikeOnEveryRank(hosts: [UInt32]) throws {
        let results = try InProcessCommunicator.run(size: hosts.count) { comm in
            let collectives = Collectives(comm, options: Self.options)
            try collectives.chooseAllReduce(.auto, hostIdentity: hosts[comm.rank])
            let pending = collectives.allReduceAlgorithm == .ring && collectives.automaticDecision == nil
            collectives.settleAllReduce(transfers: [AllReduceTransfer(elements: 1000, halfWire: false, gathersParameters: false)])
            let again = collectives.settleAllReduce(transfers: [AllReduceTransfer(elements: 10, halfWire: false, gathersParameters: false)])
            var values = (0..<1000).map { SeededTestValues.integer(rank: comm.rank, index: $0) }
            try collectives.allReduce(&values)
            return (pending && again == nil, collectives.automaticDecision, values)
        }
        #expect(results.allSatisfy { $0.0 }, "auto chose before the size was known, or twice")
        let decision = try #require(results[0].1)
        #expect(results.allSatisfy { $0.1 == decision }, "ranks decided apart: \(results.map(\.1))")
        #expect(decision.transfers.map(\.elements) == [1000] && decision.local.bandwidth > 0 && decision.network.bandwidth > 0
                && decision.local.latency > 0 && decision.network.latency > 0, "\(decision)")
        #expect(decision.chosen == (decision.twoLevelSeconds < decision.ringSeconds ? .twoLevel : .ring))
        let expected = (0..<1000).map { i in (0..<hosts.count).reduce(Float(0)) { $0 + SeededTestValues.integer(rank: $1, index: i) } }
        #expect(results.allSatisfy { $0.2 == expected })
    }

    /// With the links given: a fast link within hosts and a slow one between them takes the
    /// two-level scheme (cut into shards as `.twoLevel` cuts them, sums exact); a link within
    /// hosts no faster than the one between them keeps the ring (2 × 2: it sends 1.5 S a rank
    /// against the two-level scheme's S within and S across); a step of one-round-exchange
    /// buffers weighs nothing and keeps the ring; fp16 halves only the reduce half of the
    /// sharded update.
    @Test func autoFollowsTheModelOnGivenLinks() throws {
        let hosts: [UInt32] = [7, 7, 9, 9]
        let fast = LinkCost(latency: 1e-6, bandwidth: 1e10), slow = LinkCost(latency: 5e-5, bandwidth: 1e8)
        let step = [AllReduceTransfer(elements: 100_000, halfWire: true, gathersParameters: true)]
        #expect(step[0].reduceBytes == 200_000 && step[0].gatherBytes == 400_000)
        let even = LinkCost(latency: 1e-6, bandwidth: 1e9)
        for (links, tiny, expected) in [((fast, slow), false, AllReduceAlgorithm.twoLevel), ((even, even), false, .ring), ((fast, slow), true, .ring)] {
            let results = try InProcessCommunicator.run(size: hosts.count) { comm in
                let collectives = Collectives(comm, options: CollectiveOptions())
                try collectives.chooseAllReduce(.auto, hostIdentity: hosts[comm.rank], links: (local: links.0, network: links.1))
                collectives.settleAllReduce(transfers: tiny ? [AllReduceTransfer(elements: 100, halfWire: false, gathersParameters: false)] : step)
                var values = (0..<5000).map { SeededTestValues.integer(rank: comm.rank, index: $0) }
                try collectives.allReduce(&values)
                let twoLevel = Collectives(comm, options: CollectiveOptions())
                try twoLevel.chooseAllReduce(.twoLevel, hostIdentity: hosts[comm.rank])
                return (collectives.allReduceAlgorithm, collectives.ownedSegment(length: 5000), twoLevel.ownedSegment(length: 5000), values)
            }
            #expect(results.allSatisfy { $0.0 == expected }, "\(links), tiny \(tiny): \(results.map(\.0))")
            if expected == .twoLevel { #expect(results.allSatisfy { $0.1 == $0.2 }, "shards as the two-level scheme cuts them") }
            let sums = (0..<5000).map { i in (0..<hosts.count).reduce(Float(0)) { $0 + SeededTestValues.integer(rank: $1, index: i) } }
            #expect(results.allSatisfy { $0.3 == sums })
        }
    }

    @Test("ring edges leaving a host: 1 when ranks fill hosts in order, every rank's when they alternate")
    func ringEdgesLeavingAHost() {
        #expect(RankLayout(hostOfRank: [7, 7, 9, 9]).ringEdgesLeavingAHost == 1)
        #expect(RankLayout(hostOfRank: [7, 9, 7, 9]).ringEdgesLeavingAHost == 2)
        #expect(RankLayout(hostOfRank: [1, 1, 1, 2, 2, 2]).ringEdgesLeavingAHost == 1)
        #expect(RankLayout(hostOfRank: [1, 1, 1, 1]).ringEdgesLeavingAHost == 0)
    }

    /// A rank with another length inside the two-level scheme: the error names the two ranks as
    /// the job numbers them (rank 3 and the rank it met in a host's or a shard's ring), not by
    /// their places in the subgroup.
    @Test func aLengthMismatchNamesWorldRanks() throws {
        let hosts: [UInt32] = [7, 7, 9, 9]
        let error = #expect(throws: CollectiveError.self) {
            _ = try InProcessCommunicator.run(size: hosts.count) { comm in
                let collectives = Collectives(comm, options: Self.options)
                try collectives.chooseAllReduce(.twoLevel, hostIdentity: hosts[comm.rank])
                var buffer = [Float](repeating: 1, count: comm.rank == 3 ? 1001 : 1000)
                try collectives.allReduce(&buffer)
            }
        }
        guard let error, case .lengthMismatch(_, _, let remoteRank) = error.kind else {
            Issue.record("expected a length mismatch, got \(String(describing: error))")
            return
        }
        let pair = Set([error.rank, remoteRank])
        #expect(pair == [2, 3] || pair == [1, 3], "\(error)")
        #expect(error.description.contains("rank \(error.rank) has") && error.description.contains("rank \(remoteRank) has"), "\(error)")
    }
}
