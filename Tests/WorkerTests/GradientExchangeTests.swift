// GradientExchangeTests: the cross-rank sum handed to layers (synchronised batch norm) is exact
// when called in the middle of an overlapped backward pass, with buckets in flight, and the
// exchange around it still averages every gradient (the exact mean within float rounding) and
// carries the stop flag to every rank.
import Testing
@testable import Worker
import Collective
import Model

@Suite struct GradientExchangeTests {
    static let layout: [(name: String, shape: [Int])] = [("a.weight", [30_000]), ("b.weight", [20_000]), ("c.weight", [100])]
    static let ranges = [0..<30_000, 30_000..<50_000, 50_000..<50_100]

    /// Real-valued gradients in [-1, 1), different on every rank and element, so a bucket sent
    /// from the wrong place or summed twice cannot land on the right value by chance.
    static func gradient(rank: Int, index: Int) -> Float { SeededTestValues.value(rank: rank, index: index, seed: 7) }

    @Test(arguments: [1, 2, 3])
    func crossRankSumDuringAnOverlappedBackwardIsExact(ranks: Int) throws {
        var job = TrainingJob(dataset: .fashionMNIST(directory: "/nonexistent"))
        job.overlap = true
        job.bucketBytes = 4   // one bucket per layer
        let results = try InProcessCommunicator.run(size: ranks) { [job] comm in
            let collectives = Collectives(comm)
            let store = ParameterStore(layout: Self.layout)
            let exchange = GradientExchange(store: store, layerRanges: Self.ranges, job: job, collectives: collectives)
            let gradients = GradientExchange.withControl(store.gradients)
            for i in 0..<store.count { gradients[i] = Self.gradient(rank: comm.rank, index: i) }
            gradients[store.count] = comm.rank == ranks - 1 ? 1 : 0   // the last rank asks to stop

            // Backward finishes the layers last to first; the layer in the middle sums a
            // statistic across ranks while the last layer's bucket is in flight.
            var statistic: [Float] = [Float(comm.rank), 1, 2]
            let onLayerDone = exchange.backwardHook(lastMicroStep: true)
            #expect((onLayerDone != nil) == (ranks > 1))
            onLayerDone?(2)
            try statistic.withUnsafeMutableBufferPointer { try exchange.crossRankSum($0) }
            onLayerDone?(1)
            onLayerDone?(0)
            var updated: [Range<Int>] = []
            let stop = try exchange.exchange { updated.append($0.shard) }
            return (Array(gradients[0..<store.count]), statistic, stop, updated)
        }
        let count = Self.ranges.last!.upperBound
        let inputs = (0..<ranks).map { rank in (0..<count).map { Self.gradient(rank: rank, index: $0) } }
        let rankSum = Float((0..<ranks).reduce(0, +))
        for (rank, result) in results.enumerated() {
            let bad = RoundingBound.violations(averaged: result.0[...], of: inputs)
            #expect(bad.count == 0, "rank \(rank): \(bad.count) averaged gradients off the mean, first #\(bad.first?.index ?? -1)")
            #expect(ranks == 1 || result.0 != inputs[rank], "rank \(rank)'s gradients were averaged")
            #expect(result.1 == [rankSum, Float(ranks), Float(2 * ranks)], "rank \(rank): the statistic's sum")
            #expect(result.2, "rank \(rank) learns that a rank asked to stop")
            #expect(result.3 == [0..<50_100], "rank \(rank) updates every parameter once")
        }
    }
}
