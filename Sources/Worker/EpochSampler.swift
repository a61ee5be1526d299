// EpochSampler: which samples each rank trains on at each micro-step (DistributedSampler
// semantics): one permutation per epoch from (seed, epoch), rank r takes every N-th position.
import Model

/// The data order of one epoch, identical on every rank.
public struct EpochSampler: Sendable {
    /// Training samples available.
    public let sampleCount: Int
    /// Global batch per optimizer step.
    public let globalBatch: Int
    /// Ranks sharing each batch.
    public let ranks: Int
    /// Micro-steps per optimizer step.
    public let accumulate: Int
    /// Tail handling.
    public let tail: TailPolicy
    private let order: [Int]

    /// The order for `epoch` (0-based) under `seed`.
    public init(sampleCount: Int, globalBatch: Int, ranks: Int, accumulate: Int, tail: TailPolicy,
                seed: UInt64, epoch: Int) {
        precondition(globalBatch % (ranks * accumulate) == 0, "batch not divisible by ranks × accumulate")
        self.sampleCount = sampleCount
        self.globalBatch = globalBatch
        self.ranks = ranks
        self.accumulate = accumulate
        self.tail = tail
        var rng = CounterRNG(seed: seed, stream: .shuffle, UInt64(epoch))
        order = rng.permutation(sampleCount)
    }

    /// Optimizer steps in the epoch (identical on every rank).
    public var stepsPerEpoch: Int {
        Self.stepsPerEpoch(sampleCount: sampleCount, globalBatch: globalBatch, tail: tail)
    }

    /// Optimizer steps in an epoch of `sampleCount` samples (without building an order).
    public static func stepsPerEpoch(sampleCount: Int, globalBatch: Int, tail: TailPolicy) -> Int {
        switch tail {
        case .drop: return sampleCount / globalBatch
        case .pad: return (sampleCount + globalBatch - 1) / globalBatch
        }
    }

    /// Samples per rank per micro-step.
    public var localBatch: Int { globalBatch / (ranks * accumulate) }

    /// Writes into `indices` the sample indices `rank` trains on at (`step`, `microStep`):
    /// positions step·B + microStep·B/K + j·N + rank of the epoch order, j < localBatch.
    public func indices(step: Int, microStep: Int, rank: Int, into indices: inout [Int]) {
        let micro = globalBatch / accumulate
        let base = step * globalBatch + microStep * micro + rank
        indices.removeAll(keepingCapacity: true)
        for j in 0..<localBatch {
            indices.append(order[(base + j * ranks) % sampleCount])
        }
    }
}
