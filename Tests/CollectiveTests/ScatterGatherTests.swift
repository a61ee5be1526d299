// ScatterGatherTests: a root hands ranks their ranges of a buffer and collects them back, on
// in-process ranks: uneven and empty ranges, parts of several chunks, every root, and a rank
// that disagrees on its part's length.
import Testing
@testable import Collective

@Suite struct ScatterGatherTests {
    /// Ranges of a `length`-element buffer: uneven, one empty, one of several 16-element chunks.
    static func ranges(ranks: Int, length: Int) -> [Range<Int>] {
        let cuts = [0] + (1..<ranks).map { min(length, $0 * $0 * length / (ranks * ranks)) } + [length]
        return (0..<ranks).map { cuts[$0]..<cuts[$0 + 1] }
    }

    @Test(arguments: [(2, 50), (3, 100), (4, 37), (3, 0)])
    func scatterThenGatherGivesTheWholeBack(ranks: Int, length: Int) throws {
        let ranges = Self.ranges(ranks: ranks, length: length)
        let whole = (0..<length).map { Float($0) * 0.25 + 1 }
        for root in 0..<ranks {
            let results = try InProcessCommunicator.run(size: ranks) { comm in
                let collectives = Collectives(comm, options: CollectiveOptions(chunkElements: 16))
                let part = try (comm.rank == root ? whole : []).withUnsafeBufferPointer {
                    try collectives.scatter($0, ranges: ranges, root: root)
                }
                let back = try part.withUnsafeBufferPointer { try collectives.gather($0, ranges: ranges, length: length, root: root) }
                return (part, back)
            }
            for (rank, result) in results.enumerated() {
                #expect(result.0 == Array(whole[ranges[rank]]), "rank \(rank)'s part from root \(root)")
                #expect(result.1 == (rank == root ? whole : nil), "rank \(rank) after the gather on root \(root)")
            }
        }
    }

    @Test func elementsInNoRangeGatherAsZero() throws {
        let ranges = [2..<4, 6..<7]
        let results = try InProcessCommunicator.run(size: 2) { comm in
            let part: [Float] = comm.rank == 0 ? [1, 2] : [3]
            return try part.withUnsafeBufferPointer { try Collectives(comm).gather($0, ranges: ranges, length: 8, root: 1) }
        }
        #expect(results[0] == nil && results[1] == [0, 0, 1, 2, 0, 0, 3, 0])
    }

    @Test func aRankThatDisagreesOnItsLengthGetsAnError() throws {
        let error = #expect(throws: CollectiveError.self) {
            _ = try InProcessCommunicator.run(size: 2) { comm in
                // Rank 1 believes its range is 5 elements long; the root sends 3.
                let ranges = comm.rank == 0 ? [0..<2, 2..<5] : [0..<2, 2..<7]
                let whole: [Float] = [1, 2, 3, 4, 5]
                _ = try whole.withUnsafeBufferPointer { try Collectives(comm).scatter($0, ranges: ranges, root: 0) }
            }
        }
        #expect(error?.description.contains("5") == true && error?.description.contains("3") == true, "\(String(describing: error))")
    }
}
