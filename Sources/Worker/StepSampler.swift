// StepSampler: the data of a run budgeted in steps (`job.steps`). Step s's global batch is the B
// draws value(j) of CounterRNG(seed, .sampling, s), j < B, each mapped uniformly onto the training
// split (with replacement); rank r of N at micro-step m of K takes j = m·B/K + i·N + r, i < B/(N·K).
// So N ranks together draw exactly what one rank would, and a resume at any step draws the same.
import Model

/// Samples of each optimizer step drawn from (seed, step): no epochs, no order to remember.
public struct StepSampler: Sendable {
    /// Training samples to draw from.
    public let sampleCount: Int
    /// Global batch per optimizer step.
    public let globalBatch: Int
    /// Ranks sharing each batch.
    public let ranks: Int
    /// Micro-steps per optimizer step.
    public let accumulate: Int
    /// The run's seed.
    public let seed: UInt64

    public init(sampleCount: Int, globalBatch: Int, ranks: Int, accumulate: Int, seed: UInt64) {
        precondition(sampleCount > 0, "no samples to draw from")
        precondition(globalBatch % (ranks * accumulate) == 0, "batch not divisible by ranks × accumulate")
        (self.sampleCount, self.globalBatch, self.ranks, self.accumulate, self.seed) =
            (sampleCount, globalBatch, ranks, accumulate, seed)
    }

    /// Samples per rank per micro-step.
    public var localBatch: Int { globalBatch / (ranks * accumulate) }

    /// The sample at place `j` (0 ≤ j < B) of global step `step`'s batch.
    public func sample(step: Int, place j: Int) -> Int {
        uniform(CounterRNG(seed: seed, stream: .sampling, UInt64(step)).value(at: UInt64(j)))
    }

    /// Writes into `indices` the samples `rank` trains on at (`step`, `microStep`).
    public func indices(step: Int, microStep: Int, rank: Int, into indices: inout [Int]) {
        let rng = CounterRNG(seed: seed, stream: .sampling, UInt64(step))
        let base = microStep * (globalBatch / accumulate) + rank
        indices.removeAll(keepingCapacity: true)
        for i in 0..<localBatch {
            indices.append(uniform(rng.value(at: UInt64(base + i * ranks))))
        }
    }

    /// A 64-bit draw mapped onto 0..<sampleCount (the high word of draw × count).
    private func uniform(_ draw: UInt64) -> Int {
        Int(draw.multipliedFullWidth(by: UInt64(sampleCount)).high)
    }
}

extension StepSampler: BatchSampler {
    /// The batch of `position.globalStep`.
    public func indices(at position: TrainingPosition, microStep: Int, rank: Int, into indices: inout [Int]) {
        self.indices(step: position.globalStep, microStep: microStep, rank: rank, into: &indices)
    }
}
