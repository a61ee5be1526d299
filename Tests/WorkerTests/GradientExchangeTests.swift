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

/// The control element after the exchange: stop requests from any number of ranks, rank 0's
/// time-based save and a non-finite loss, each read back alike on every rank, through every
/// averaging and the fp16 wire.
@Suite struct ControlElementTests {
    /// One row: which ranks ask to stop, whether rank 0 marks a save, which rank's loss is NaN.
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let stopping: @Sendable (Int) -> [Int]   // ranks of N asking to stop
        let save: Bool
        let nanRank: Int?
        let stop: Bool, saved: Bool, finite: Bool
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "nothing", stopping: { _ in [] }, save: false, nanRank: nil, stop: false, saved: false, finite: true),
        Case(label: "stop from the last rank", stopping: { [$0 - 1] }, save: false, nanRank: nil, stop: true, saved: false, finite: true),
        Case(label: "stop from every rank", stopping: { Array(0..<$0) }, save: false, nanRank: nil, stop: true, saved: false, finite: true),
        Case(label: "save only", stopping: { _ in [] }, save: true, nanRank: nil, stop: false, saved: true, finite: true),
        Case(label: "save and a stop from the last rank", stopping: { [$0 - 1] }, save: true, nanRank: nil, stop: true, saved: true, finite: true),
        Case(label: "save and stops from every rank", stopping: { Array(0..<$0) }, save: true, nanRank: nil, stop: true, saved: true, finite: true),
        Case(label: "NaN wins over save and stop", stopping: { Array(0..<$0) }, save: true, nanRank: 0, stop: false, saved: false, finite: false),
        Case(label: "NaN from the last rank wins over a save", stopping: { _ in [] }, save: true, nanRank: -1, stop: false, saved: false, finite: false),
    ]

    static let layout: [(name: String, shape: [Int])] = [("a.weight", [6_000]), ("b.weight", [4_000])]
    static let ranges = [0..<6_000, 6_000..<10_000]

    /// `ranks` ranks exchange gradients with `averaging` (fp16 on the wire or not), each rank's
    /// control element set as `c` says; returns what each rank read.
    static func exchange(_ c: Case, ranks: Int, averaging: GradientAveraging, fp16: Bool) throws -> [ControlElement.Signal] {
        var job = TrainingJob(dataset: .fashionMNIST(directory: "/nonexistent"))
        job.checkpoint.everySeconds = 30
        job.fp16Gradients = fp16
        (job.overlap, job.shardedUpdate, job.bucketBytes) = (averaging == .overlap, averaging == .sharded, 4)
        return try InProcessCommunicator.run(size: ranks) { [job] comm in
            let store = ParameterStore(layout: Self.layout)
            let exchange = GradientExchange(store: store, layerRanges: Self.ranges, job: job, collectives: Collectives(comm))
            #expect(exchange.averaging == averaging)
            let gradients = GradientExchange.withControl(store.gradients)
            for i in 0..<store.count { gradients[i] = GradientExchangeTests.gradient(rank: comm.rank, index: i) }
            gradients[store.count] = ControlElement.mark(stop: c.stopping(ranks).contains(comm.rank), save: c.save && comm.rank == 0,
                                                         rank: comm.rank, ranks: ranks)
            if let nanRank = c.nanRank, (nanRank + ranks) % ranks == comm.rank { exchange.markNonFiniteLoss() }
            let hook = exchange.backwardHook(lastMicroStep: true)
            hook?(1)
            hook?(0)
            let stop = try exchange.exchange { _ in }
            return ControlElement.Signal(stop: stop, save: exchange.saveWasDue, lossFinite: exchange.lossWasFinite)
        }
    }

    @Test("every rank reads the same stop, save and NaN", arguments: cases, [1, 2, 3, 5])
    func everyRankReadsTheMarks(_ c: Case, ranks: Int) throws {
        for averaging in GradientAveraging.allCases {
            for fp16 in [false, true] {
                let read = try Self.exchange(c, ranks: ranks, averaging: averaging, fp16: fp16)
                let expected = ControlElement.Signal(stop: c.stop, save: c.saved, lossFinite: c.finite)
                #expect(read == Array(repeating: expected, count: ranks), "\(averaging), fp16 \(fp16)")
            }
        }
    }

    @Test("only rank 0's save counts, and none without every_seconds", arguments: [false, true])
    func onlyRankZeroDecides(everySeconds: Bool) throws {
        var job = TrainingJob(dataset: .fashionMNIST(directory: "/nonexistent"))
        job.checkpoint.everySeconds = everySeconds ? 1 : 0
        StopRequest.reset()
        let read = try InProcessCommunicator.run(size: 3) { [job] comm in
            let store = ParameterStore(layout: Self.layout)
            let exchange = GradientExchange(store: store, layerRanges: Self.ranges, job: job, collectives: Collectives(comm))
            exchange.markStopRequest(saveDue: true)   // every rank claims a save is due; only rank 0 may
            let stop = try exchange.exchange { _ in }
            return (stop, exchange.saveWasDue)
        }
        for (rank, (stop, save)) in read.enumerated() {
            #expect(!stop, "rank \(rank): a save is not a stop request")
            #expect(save == everySeconds, "rank \(rank)")
        }
    }

    /// The mean of every possible sum as the ring leaves it (fp32 scale by 1/N, then fp16
    /// rounding), read back, for rank counts up to the fp16 limit.
    @Test("the marks read back from any mean the exchange can leave", arguments: [1, 2, 3, 4, 7, 8, 9, 64, 100, 255, 256, 511])
    func marksSurviveRounding(ranks: Int) {
        let mark = ControlElement.saveMark(ranks: ranks)
        #expect(mark > Float(ranks) && mark <= Float(2 * ranks), "a power of two above the rank count")
        for save in [false, true] {
            for stops in 0...ranks {
                let sum = (save ? mark : 0) + Float(stops)
                let mean32 = ranks == 1 ? sum : sum * (1 / Float(ranks))
                for value in [mean32, Float(Float16(mean32))] {
                    let read = ControlElement.read(value, ranks: ranks)
                    #expect(read == ControlElement.Signal(stop: stops > 0, save: save, lossFinite: true),
                            "\(ranks) ranks, \(stops) stops, save \(save): mean \(value)")
                }
            }
        }
        #expect(ControlElement.read(.nan, ranks: ranks) == ControlElement.Signal(stop: false, save: false, lossFinite: false))
    }
}
