// BatchNorm tests: batch statistics in training, PyTorch's running-statistics update, evaluation
// with the running statistics, the buffers a network lists, and a failing cross-rank sum.
import Testing
@testable import Model

@Suite("Batch norm")
struct BatchNormTests {
    /// Samples [2, 2, 3] (NHWC) with distinct per-channel means and spreads.
    static func images(batch: Int) -> [Float] {
        var rng = CounterRNG(seed: 5, stream: .test)
        return (0..<batch * 12).map { i in Float(i % 3) * 2 - 1 + (rng.nextUniform() - 0.5) * Float(1 + i % 3) }
    }

    /// Per-channel mean and biased / unbiased variance of `x` laid out [rows, channels], in Double.
    static func statistics(_ x: [Float], channels: Int) -> [(mean: Double, biased: Double, unbiased: Double)] {
        let rows = x.count / channels
        return (0..<channels).map { c in
            let values = (0..<rows).map { Double(x[$0 * channels + c]) }
            let mean = values.reduce(0, +) / Double(rows)
            let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            return (mean, squares / Double(rows), squares / Double(rows - 1))
        }
    }

    @Test("training normalises each channel with the batch statistics and updates the running ones as PyTorch")
    func trainingStatistics() {
        let layer = BatchNorm(name: "bn", inputShape: [2, 2, 3], momentum: 0.25)
        let network = Sequential(layers: [layer], seed: 1)   // holds the weight and bias
        let x = Self.images(batch: 4)
        let y = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: layer.forward($0.baseAddress!, batch: 4, context: ForwardContext(training: true)), count: x.count)) }
        let expected = Self.statistics(x, channels: 3)
        for (c, s) in Self.statistics(y, channels: 3).enumerated() {
            #expect(abs(s.mean) < 1e-5, "channel \(c) mean \(s.mean)")
            #expect(abs(s.biased - expected[c].biased / (expected[c].biased + 1e-5)) < 1e-4, "channel \(c) variance \(s.biased)")
        }
        let buffers = layer.buffers
        guard case .float(let mean) = buffers[0].storage, case .float(let variance) = buffers[1].storage,
              case .int64(let tracked) = buffers[2].storage else { Issue.record("unexpected buffer kinds"); return }
        for c in 0..<3 {
            #expect(abs(Double(mean[c]) - 0.25 * expected[c].mean) < 1e-5)
            #expect(abs(Double(variance[c]) - (0.75 + 0.25 * expected[c].unbiased)) < 1e-5)
        }
        #expect(tracked.pointee == 1 && layer.trackedBatches == 1)
        #expect(buffers.map(\.name) == ["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"])
        #expect(buffers.map(\.shape) == [[3], [3], []])
        #expect(network.store.count == 6)
    }

    @Test("evaluation uses the running statistics, not the batch's, and leaves them alone")
    func evaluationUsesRunningStatistics() {
        let layer = BatchNorm(name: "bn", inputShape: [4], momentum: 1)   // running stats = last batch's
        let network = Sequential(layers: [layer], seed: 1)
        for i in 0..<4 { network.store.parameters.pointer[i] = 2; network.store.parameters.pointer[4 + i] = 0.5 }
        let train: [Float] = (0..<24).map { Float($0 % 7) - Float($0 % 4) }
        _ = train.withUnsafeBufferPointer { layer.forward($0.baseAddress!, batch: 6, context: ForwardContext(training: true)) }
        let stats = Self.statistics(train, channels: 4)
        let x: [Float] = [10, -3, 0.5, 2]   // one sample: batch statistics would be degenerate
        let y = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: layer.forward($0.baseAddress!, batch: 1, context: ForwardContext(training: false)), count: 4)) }
        for c in 0..<4 {
            let expected = (Double(x[c]) - stats[c].mean) / (stats[c].unbiased + 1e-5).squareRoot() * 2 + 0.5
            #expect(abs(Double(y[c]) - expected) < 1e-4 * max(1, abs(expected)), "feature \(c): \(y[c]) vs \(expected)")
        }
        #expect(layer.trackedBatches == 1)
    }

    @Test("a network lists the buffers of nested batch-norm layers, and a failing cross-rank sum is thrown once")
    func buffersAndFailures() throws {
        let inner = BatchNorm(name: "res.bn", inputShape: [2, 2, 3])
        let network = Sequential(layers: [BatchNorm(name: "bn0", inputShape: [2, 2, 3]),
                                          Residual(name: "res", layers: [inner])], seed: 1)
        #expect(network.buffers.map(\.name) == ["bn0.running_mean", "bn0.running_var", "bn0.num_batches_tracked",
                                                "res.bn.running_mean", "res.bn.running_var", "res.bn.num_batches_tracked"])
        struct Broken: Error {}
        nonisolated(unsafe) var calls = 0
        network.installCrossRankSum { _ in calls += 1; throw Broken() }
        let x = Self.images(batch: 2)
        _ = x.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: 2, context: ForwardContext(training: true)) }
        #expect(calls == 1, "later sums are skipped once one failed")
        #expect(throws: Broken.self) { try network.throwCrossRankFailure() }
        try network.throwCrossRankFailure()   // thrown once
        network.installCrossRankSum(nil)
        _ = x.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: 2, context: ForwardContext(training: true)) }
        #expect(calls == 1)
    }
}
