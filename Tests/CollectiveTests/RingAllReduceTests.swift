// RingAllReduceTests: the ring all-reduce on in-process ranks (threads), no mpirun needed.
// Exact sums on integer-valued data, random data against a Float64 reference, average, fp16, reuse.
import Testing
@testable import Collective

/// Deterministic per-rank test data: small integers, so every sum is exact in Float (the same
/// data `collective-check` uses).
func integerValue(rank: Int, index: Int) -> Float { SeededTestValues.integer(rank: rank, index: index) }

/// Deterministic pseudo-random Float in [-1, 1) (the same data `collective-check` uses).
func randomValue(rank: Int, index: Int, seed: UInt64 = 1) -> Float { SeededTestValues.value(rank: rank, index: index, seed: seed) }

/// The Float64 sum over `ranks` of `randomValue` at `index`, and the sum of their magnitudes
/// (what the tolerances scale with).
func randomReference(ranks: Int, index: Int) -> (sum: Double, magnitude: Double) {
    var sum = 0.0, magnitude = 0.0
    for r in 0..<ranks {
        let x = Double(randomValue(rank: r, index: index))
        sum += x
        magnitude += abs(x)
    }
    return (sum, magnitude)
}

/// Runs `allReduce` on `ranks` threads, each filling its buffer with `value(rank, index)`, and
/// returns every rank's result.
func ringResults(ranks: Int, length: Int, op: ReduceOp = .sum, options: CollectiveOptions = .init(),
                 halfPrecision: Bool = false, value: @escaping @Sendable (Int, Int) -> Float) throws -> [[Float]] {
    try InProcessCommunicator.run(size: ranks) { comm in
        let collectives = Collectives(comm, options: options)
        var buffer = (0..<length).map { value(comm.rank, $0) }
        try collectives.allReduce(&buffer, op: op, halfPrecision: halfPrecision)
        return buffer
    }
}

let testLengths = [0, 1, 2, 1000, 3001, 65537, 1_000_003]   // 3001: the small-message exchange in 4 pieces



@Suite struct RingAllReduceTests {
    @Test(arguments: 1...5, [CollectiveOptions(), CollectiveOptions(chunkElements: 1000, wholeSegmentElements: 0, pipelineDepth: 3, smallMessageBytes: 0)])
    func integerSumsAreExact(ranks: Int, options: CollectiveOptions) throws {
        for length in Set(testLengths + [max(0, ranks - 1), ranks + 1]).sorted() {
            let results = try ringResults(ranks: ranks, length: length, options: options,
                                          value: integerValue)
            for rank in 0..<ranks {
                for i in 0..<length {
                    let expected = (0..<ranks).reduce(Float(0)) { $0 + integerValue(rank: $1, index: i) }
                    guard results[rank][i] == expected else {
                        Issue.record("N=\(ranks) length=\(length) rank=\(rank) [\(i)]: \(results[rank][i]) != \(expected)")
                        return
                    }
                }
            }
        }
    }

    /// Tolerance: |ring − exact| ≤ N · 2⁻²³ · Σ|xᵢ| (the bound for N−1 Float additions) + 1e-30.
    @Test(arguments: 2...5, [65537, 1000])
    func randomValuesMatchFloat64Reference(ranks: Int, length: Int) throws {
        let results = try ringResults(ranks: ranks, length: length,
                                      options: CollectiveOptions(chunkElements: 512, wholeSegmentElements: 0, smallMessageBytes: 0)) { randomValue(rank: $0, index: $1) }
        for i in 0..<length {
            let (exact, magnitude) = randomReference(ranks: ranks, index: i)
            let tolerance = Double(ranks) * 0x1p-23 * magnitude + 1e-30
            for rank in 0..<ranks where abs(Double(results[rank][i]) - exact) > tolerance {
                Issue.record("N=\(ranks) rank=\(rank) [\(i)]: \(results[rank][i]) vs \(exact)")
                return
            }
        }
        // Every rank ends with bit-identical results.
        for rank in 1..<ranks { #expect(results[rank] == results[0]) }
    }

    @Test(arguments: 1...5)
    func averageDividesBySize(ranks: Int) throws {
        let length = 10_007
        let results = try ringResults(ranks: ranks, length: length, op: .average,
                                      options: CollectiveOptions(chunkElements: 700, wholeSegmentElements: 0), value: integerValue)
        for i in 0..<length {
            let sum = (0..<ranks).reduce(0.0) { $0 + Double(integerValue(rank: $1, index: i)) }
            let expected = sum / Double(ranks)
            for rank in 0..<ranks where abs(Double(results[rank][i]) - expected) > 1e-5 * max(1, abs(expected)) {
                Issue.record("N=\(ranks) [\(i)]: \(results[rank][i]) vs \(expected)")
                return
            }
        }
    }

    @Test(arguments: 1...4)
    func repeatedCallsReuseScratch(ranks: Int) throws {
        let lengths = [65537, 3, 0, 1_000, 65537, 200_001]
        let results = try InProcessCommunicator.run(size: ranks) { comm in
            let collectives = Collectives(comm, options: CollectiveOptions(chunkElements: 4096, wholeSegmentElements: 0))
            var outputs: [[Float]] = []
            for (call, length) in lengths.enumerated() {
                var buffer = (0..<length).map { integerValue(rank: comm.rank + call, index: $0) }
                try buffer.withUnsafeMutableBufferPointer { try collectives.allReduce($0, op: .sum) }
                outputs.append(buffer)
            }
            return outputs
        }
        for (call, length) in lengths.enumerated() {
            let expected = (0..<length).map { i in
                (0..<ranks).reduce(Float(0)) { $0 + integerValue(rank: $1 + call, index: i) }
            }
            for rank in 0..<ranks { #expect(results[rank][call] == expected, "call \(call)") }
        }
    }

    /// Integers up to 2048 are exact in fp16, so the compressed wire still sums them exactly.
    @Test(arguments: 2...5, [0, 1, 1000, 65537])
    func halfPrecisionWireIsExactOnSmallIntegers(ranks: Int, length: Int) throws {
        let options = CollectiveOptions(chunkElements: 1024, wholeSegmentElements: 0, smallMessageBytes: 0)
        let results = try ringResults(ranks: ranks, length: length, options: options, halfPrecision: true, value: integerValue)
        let expected = (0..<length).map { i in
            (0..<ranks).reduce(Float(0)) { $0 + integerValue(rank: $1, index: i) }
        }
        for rank in 0..<ranks { #expect(results[rank] == expected) }
    }

    /// fp16 has an 11-bit significand: each hop rounds to 2⁻¹¹ relative, so the tolerance is
    /// N · 2⁻¹⁰ · Σ|xᵢ|. All ranks still agree bit for bit.
    @Test(arguments: 2...4)
    func halfPrecisionWireIsCloseOnRandomValues(ranks: Int) throws {
        let length = 30_011
        let options = CollectiveOptions(chunkElements: 999, wholeSegmentElements: 0)
        let results = try ringResults(ranks: ranks, length: length, op: .average, options: options, halfPrecision: true) {
            randomValue(rank: $0, index: $1)
        }
        for i in 0..<length {
            let (sum, magnitude) = randomReference(ranks: ranks, index: i)
            let exact = sum / Double(ranks)
            let tolerance = 0x1p-10 * magnitude
            if abs(Double(results[0][i]) - exact) > tolerance {
                Issue.record("[\(i)]: \(results[0][i]) vs \(exact)")
                return
            }
        }
        for rank in 1..<ranks { #expect(results[rank] == results[0]) }
    }

    @Test(arguments: [(3, [12, 10, 12]), (2, [0, 5]), (4, [1000, 1000, 1001, 1000]), (2, [100_000, 50_000])])
    func mismatchedLengthsNameBothLengths(ranks: Int, lengths: [Int]) throws {
        let error = #expect(throws: CollectiveError.self) {
            _ = try InProcessCommunicator.run(size: ranks) { comm in
                var buffer = [Float](repeating: 1, count: lengths[comm.rank])
                try Collectives(comm).allReduce(&buffer)
            }
        }
        guard case .lengthMismatch(let local, let remote, _)? = error?.kind else {
            Issue.record("expected a length mismatch, got \(String(describing: error))")
            return
        }
        #expect(local != remote)
        #expect(Set(lengths).contains(local) && Set(lengths).contains(remote))
        #expect(error!.description.contains("\(local)") && error!.description.contains("\(remote)"))
    }
}
