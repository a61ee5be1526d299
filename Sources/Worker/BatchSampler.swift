// BatchSampler: the one question the training step asks about data — which samples this rank
// computes at a micro-step of the optimizer step at a position; epochs and step budgets answer it.

/// Chooses the training samples of every (position, micro-step, rank), identically on every rank.
public protocol BatchSampler: Sendable {
    /// Writes into `indices` the sample indices `rank` trains on at micro-step `microStep` of
    /// the optimizer step taken from `position`.
    func indices(at position: TrainingPosition, microStep: Int, rank: Int, into indices: inout [Int])
}

extension EpochSampler: BatchSampler {
    /// The epoch's order at `position.stepInEpoch` (the position's epoch chose this sampler).
    public func indices(at position: TrainingPosition, microStep: Int, rank: Int, into indices: inout [Int]) {
        self.indices(step: position.stepInEpoch, microStep: microStep, rank: rank, into: &indices)
    }
}
