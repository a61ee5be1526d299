// GradientAveraging: the ways a training step can average gradients across ranks — one
// all-reduce after backward, buckets overlapped with backward, or a sharded update.

/// How a step averages gradients across ranks (all give the same model; see `TrainingJob`).
public enum GradientAveraging: String, Sendable, CaseIterable {
    /// One ring all-reduce after the backward pass: the reference path.
    case oneCall = "one_call"
    /// Buckets all-reduced on a background thread while backward continues (`job.overlap`).
    case overlap
    /// A reduce-scatter, each rank updating only its shard, then an all-gather of the
    /// parameters (`job.sharded_update`).
    case sharded
}

extension TrainingJob {
    /// The averaging this job asks for.
    public var averaging: GradientAveraging {
        overlap ? .overlap : (shardedUpdate ? .sharded : .oneCall)
    }
}
