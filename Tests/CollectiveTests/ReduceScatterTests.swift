// ReduceScatterTests: the ring's two halves on their own — after the reduce-scatter each rank
// owns a distinct, fully reduced range; the all-gather that follows gives exactly what one
// all-reduce gives, bit for bit (whole segments, chunked segments, fp16 wire).
import Testing
@testable import Collective

@Suite struct ReduceScatterTests {
    static let optionSets = [CollectiveOptions(smallMessageBytes: 0),
                             CollectiveOptions(chunkElements: 700, wholeSegmentElements: 0, pipelineDepth: 3, smallMessageBytes: 0),
                             CollectiveOptions(chunkElements: 999, wholeSegmentElements: 0, halfPrecisionWire: true, smallMessageBytes: 0)]

    @Test(arguments: 1...5, optionSets)
    func halvesMakeTheAllReduce(ranks: Int, options: CollectiveOptions) throws {
        for length in Set([0, 1, 2, max(0, ranks - 1), ranks + 1, 1000, 65537]).sorted() {
            let results = try InProcessCommunicator.run(size: ranks) { comm in
                let collectives = Collectives(comm, options: options)
                var whole = (0..<length).map { randomValue(rank: comm.rank, index: $0) }
                var halves = whole
                var exact = (0..<length).map { integerValue(rank: comm.rank, index: $0) }
                try collectives.allReduce(&whole, op: .average)
                var owned = 0..<0
                try halves.withUnsafeMutableBufferPointer { buffer in
                    owned = try collectives.reduceScatter(buffer, op: .average)
                    try collectives.allGather(segments: buffer)
                }
                let exactOwned = try exact.withUnsafeMutableBufferPointer { try collectives.reduceScatter($0) }
                return (whole, halves, owned, Array(exact[exactOwned]), exactOwned)
            }
            var covered = [Int](repeating: 0, count: length)
            for (rank, result) in results.enumerated() {
                #expect(result.1 == result.0, "\(ranks) ranks, length \(length): rank \(rank) differs from allReduce")
                #expect(result.1 == results[0].1, "replicas differ")
                #expect(result.2 == result.4)
                for i in result.2 { covered[i] += 1 }
                // The owned range holds the exact sum right after the reduce-scatter.
                let expected = result.4.map { i in (0..<ranks).reduce(Float(0)) { $0 + integerValue(rank: $1, index: i) } }
                if !options.halfPrecisionWire { #expect(result.3 == expected, "owned sums, rank \(rank)") }
            }
            #expect(covered.allSatisfy { $0 == 1 }, "owned ranges tile the buffer (\(ranks) ranks, length \(length))")
        }
    }
}
