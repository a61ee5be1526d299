// ReduceScatterTests: the ring's two halves on their own — after the reduce-scatter each rank
// owns a distinct, fully reduced range; the all-gather that follows gives exactly what one
// all-reduce gives, bit for bit (whole segments, chunked segments, fp16 wire).
import Testing
@testable import Collective

@Suite struct ReduceScatterTests {
    /// Options and whether the wire is fp16.
    struct Wire: Sendable, CustomTestStringConvertible {
        var options: CollectiveOptions
        var halfPrecision = false
        var testDescription: String { "chunk \(options.chunkElements)\(halfPrecision ? ", fp16" : "")" }
    }
    static let wires = [Wire(options: CollectiveOptions(smallMessageBytes: 0)),
                        Wire(options: CollectiveOptions(chunkElements: 700, wholeSegmentElements: 0, pipelineDepth: 3, smallMessageBytes: 0)),
                        Wire(options: CollectiveOptions(chunkElements: 999, wholeSegmentElements: 0, smallMessageBytes: 0), halfPrecision: true)]

    @Test(arguments: 1...5, wires)
    func halvesMakeTheAllReduce(ranks: Int, wire: Wire) throws {
        let (options, half) = (wire.options, wire.halfPrecision)
        for length in Set([0, 1, 2, max(0, ranks - 1), ranks + 1, 1000, 65537]).sorted() {
            let results = try InProcessCommunicator.run(size: ranks) { comm in
                let collectives = Collectives(comm, options: options)
                var whole = (0..<length).map { randomValue(rank: comm.rank, index: $0) }
                var halves = whole
                var exact = (0..<length).map { integerValue(rank: comm.rank, index: $0) }
                try collectives.allReduce(&whole, op: .average, halfPrecision: half)
                var owned = 0..<0
                try halves.withUnsafeMutableBufferPointer { buffer in
                    owned = try collectives.reduceScatter(buffer, op: .average, halfPrecision: half)
                    try collectives.allGather(segments: buffer)
                }
                let exactOwned = try exact.withUnsafeMutableBufferPointer { try collectives.reduceScatter($0, halfPrecision: half) }
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
                if !half { #expect(result.3 == expected, "owned sums, rank \(rank)") }
            }
            #expect(covered.allSatisfy { $0 == 1 }, "owned ranges tile the buffer (\(ranks) ranks, length \(length))")
        }
    }
}
