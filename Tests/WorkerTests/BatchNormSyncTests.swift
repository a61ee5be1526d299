// Synchronised batch norm over simulated ranks (in-process communicator): the statistics, outputs
// and gradients of 2 and 3 ranks equal one rank's over the concatenated batch.
import Collective
import Model
import Testing

@Suite("Batch norm across ranks")
struct BatchNormSyncTests {
    /// What one rank sees of a forward and backward pass through conv → batch norm.
    struct Pass: Sendable {
        var output: [Float], inputGradient: [Float], parameterGradients: [Float], buffers: [Float]
    }

    static let batch = 12, sample = 3 * 3 * 2

    /// The whole batch's inputs and output gradients, fixed.
    static func data() -> (x: [Float], dy: [Float]) {
        var rng = CounterRNG(seed: 17, stream: .test)
        let x = (0..<batch * sample).map { _ in rng.nextUniform() * 4 - 1 }
        let dy = (0..<batch * 3 * 3 * 4).map { _ in rng.nextUniform() - 0.5 }
        return (x, dy)
    }

    /// Runs `rows` of the batch (sample indices) through a fresh network, summing with `sum`.
    static func run(rows: [Int], sum: CrossRankSum?) -> Pass {
        let bn = BatchNorm(name: "bn", inputShape: [3, 3, 4])
        let network = Sequential(layers: [Conv2D(name: "conv", inputShape: [3, 3, 2], outChannels: 4, kernel: 3, padding: 1), bn], seed: 3)
        network.installCrossRankSum(sum)
        let (allX, allDY) = data()
        let out = 3 * 3 * 4
        let x = rows.flatMap { allX[$0 * sample..<($0 + 1) * sample] }
        let dy = rows.flatMap { allDY[$0 * out..<($0 + 1) * out] }
        let y = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: network.forward($0.baseAddress!, batch: rows.count, context: ForwardContext(training: true)), count: rows.count * out)) }
        let dx = dy.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: bn.backward($0.baseAddress!, batch: rows.count, accumulate: false, needInputGradient: true)!, count: rows.count * out)) }
        let buffers = network.buffers.flatMap { buffer -> [Float] in
            switch buffer.storage {
            case .float(let values): return Array(values)
            case .int64(let value): return [Float(value.pointee)]
            }
        }
        return Pass(output: y, inputGradient: dx, parameterGradients: Array(network.store.gradients.buffer[network.parameterRanges[1]]), buffers: buffers)
    }

    static func close(_ a: [Float], _ b: [Float], _ what: String) {
        #expect(a.count == b.count, "\(what): \(a.count) vs \(b.count) values")
        for (i, (p, q)) in zip(a, b).enumerated() where abs(p - q) > 1e-5 * max(1, abs(p)) {
            Issue.record("\(what)[\(i)]: one rank \(p), ranks \(q)")
            return
        }
    }

    @Test("2 and 3 ranks compute the one-rank statistics, outputs and gradients of the whole batch", arguments: [2, 3])
    func ranksMatchOneRank(ranks: Int) throws {
        let single = Self.run(rows: Array(0..<Self.batch), sum: nil)
        // Rank r takes every ranks-th sample, as the epoch sampler deals them.
        let passes = try InProcessCommunicator.run(size: ranks) { comm in
            let collectives = Collectives(comm)
            let rows = Array(stride(from: comm.rank, to: Self.batch, by: ranks))
            return Self.run(rows: rows, sum: { try collectives.allReduce($0, op: .sum) })
        }
        let out = 3 * 3 * 4
        for (rank, pass) in passes.enumerated() {
            Self.close(pass.buffers, single.buffers, "rank \(rank) running statistics")
            let rows = Array(stride(from: rank, to: Self.batch, by: ranks))
            Self.close(pass.output, rows.flatMap { single.output[$0 * out..<($0 + 1) * out] }, "rank \(rank) output")
            Self.close(pass.inputGradient, rows.flatMap { single.inputGradient[$0 * out..<($0 + 1) * out] }, "rank \(rank) input gradient")
        }
        // Every rank holds the same running statistics, bit for bit.
        #expect(Set(passes.map(\.buffers)).count == 1)
        // The weight and bias gradients are per-rank sums that add up to one rank's.
        let summed = passes.dropFirst().reduce(passes[0].parameterGradients) { zip($0, $1.parameterGradients).map(+) }
        Self.close(summed, single.parameterGradients, "summed parameter gradients")
        #expect(single.buffers.contains { $0 != 0 && $0 != 1 }, "the statistics moved")
    }
}
