// GradientExchangeTests: the cross-rank sum handed to layers (synchronised batch norm) is exact
// when called in the middle of an overlapped backward pass, with buckets in flight, and the
// exchange around it still averages every gradient and carries the stop flag to every rank.
import Testing
@testable import Worker
import Collective
import Model

@Suite struct GradientExchangeTests {
    static let layout: [(name: String, shape: [Int])] = [("a.weight", [30_000]), ("b.weight", [20_000]), ("c.weight", [100])]
    static let ranges = [0..<30_000, 30_000..<50_000, 50_000..<50_100]

    static func gradient(rank: Int, index: Int) -> Float { Float((rank * 7 + index) % 13) }

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
            var expected = Array(gradients)
            try collectives.allReduce(&expected, op: .average)

            // Backward finishes the layers last to first; the layer in the middle sums a
            // statistic across ranks while the last layer's bucket is in flight.
            var statistic: [Float] = [Float(comm.rank), 1, 2]
            let onLayerDone = exchange.backwardHook(.overlap, lastMicroStep: true)
            #expect((onLayerDone != nil) == (ranks > 1))
            onLayerDone?(2)
            try statistic.withUnsafeMutableBufferPointer { try exchange.crossRankSum($0) }
            onLayerDone?(1)
            onLayerDone?(0)
            var updated: [Range<Int>] = []
            let stop = try exchange.exchange(.overlap) { updated.append($0.shard) }
            return (Array(gradients), expected, statistic, stop, updated)
        }
        let rankSum = Float((0..<ranks).reduce(0, +))
        for (rank, result) in results.enumerated() {
            #expect(result.0 == result.1, "rank \(rank): averaged gradients")
            #expect(result.2 == [rankSum, Float(ranks), Float(2 * ranks)], "rank \(rank): the statistic's sum")
            #expect(result.3, "rank \(rank) learns that a rank asked to stop")
            #expect(result.4 == [0..<50_100], "rank \(rank) updates every parameter once")
        }
    }
}
