// StepObserver: what a watcher of training (phase timing, traces, timelines) is told as a step
// runs — each phase's start and end, in order — so that none of them lives inside `Trainer`.

/// One phase of training, as a `StepObserver` is told of it. The phases of one optimizer step,
/// in order: per micro-step `gather`, `forward`, `backward` (which encloses one `backwardLayer`
/// per layer, last layer first); then `exchange`, which encloses the collectives of the gradient
/// exchange (`allReduce`, or `reduceScatter` … `allGather`) and the `clip` and `update` it runs
/// (with one rank nothing is sent, so no collective is reported); last `finiteCheck`. `evaluation` and `checkpoint`
/// come between steps and after the last one; `checkpoint` encloses rank 0's `checkpointWrite`
/// and the other ranks' `barrier` while they wait for it.
///
/// The collectives' `bytes` are the payload: the fp32 buffer reduced or gathered per rank (with
/// the control element); `wireBytes` what this rank sends for it, as the algorithms send it (a
/// ring about 2(n−1)/n of its buffer, halved with fp16; see `Collectives.wireBytes`).
public enum StepPhase: Sendable, Hashable {
    /// Gathering the micro-step's batch from the training split.
    case gather(microStep: Int)
    /// The forward pass, the loss and its gradient, and the batch's metrics.
    case forward(microStep: Int)
    /// The backward pass (with overlap, the last one starts buckets across the ranks).
    case backward(microStep: Int)
    /// The backward pass through one layer, by its index in the network (told only when an
    /// observer is set; starting overlapped buckets after a layer falls between two of these).
    case backwardLayer(index: Int)
    /// The whole gradient exchange across ranks, including the update it runs.
    case exchange
    /// The all-reduce of the gradients, a buffer of `bytes` payload (with overlap: waiting for
    /// the buckets started during backward, `wireBytes` summed over them).
    case allReduce(bytes: Int, wireBytes: Int)
    /// The reduce-scatter of the sharded update over a gradient buffer of `bytes` payload.
    case reduceScatter(bytes: Int, wireBytes: Int)
    /// The sharded update's sum across ranks of the gradient norm and finiteness (with clipping
    /// or fp16 gradients).
    case normSum
    /// The all-gather of the parameters after the sharded update, a buffer of `bytes` payload.
    case allGather(bytes: Int, wireBytes: Int)
    /// Clipping the averaged gradients to `optimizer.clip_norm`.
    case clip
    /// The optimizer update of this rank's parameters (skipped steps have none).
    case update
    /// Checking that the loss and the updated weights are finite (`job.on_nonfinite`).
    case finiteCheck
    /// Evaluating a split: the validation split for a metrics line, the test split at the end.
    case evaluation
    /// Saving a checkpoint: making the optimizer state whole across ranks (after sharded
    /// updates), summing the report window, then rank 0 writing while the other ranks wait.
    case checkpoint
    /// Rank 0 writing the checkpoint's files (inside `checkpoint`).
    case checkpointWrite
    /// Waiting for other ranks at a barrier: while rank 0 writes a checkpoint, the others.
    case barrier

    /// A short name (`"gather"`, `"all_reduce"`, ...), e.g. for a timeline's span.
    public var name: String {
        switch self {
        case .gather: "gather"
        case .forward: "forward"
        case .backward: "backward"
        case .backwardLayer: "backward_layer"
        case .exchange: "exchange"
        case .allReduce: "all_reduce"
        case .reduceScatter: "reduce_scatter"
        case .normSum: "norm_sum"
        case .allGather: "all_gather"
        case .clip: "clip"
        case .update: "update"
        case .finiteCheck: "finite_check"
        case .evaluation: "evaluation"
        case .checkpoint: "checkpoint"
        case .checkpointWrite: "checkpoint_write"
        case .barrier: "barrier"
        }
    }
}

/// Watches training: `Trainer.observer` tells it of every step and phase as they start and end,
/// on the training thread. Every method has an empty default. An observer that wants times reads
/// its own clock when told; with no observer, training reads no clock and allocates nothing.
///
/// Every `stepBegan` is followed by exactly one `stepEnded` or `stepFailed`, and every phase
/// begun within a step is ended before either — except when the step fails inside a phase:
/// then `stepFailed` closes every phase begun and not yet ended (a timeline ends their spans).
public protocol StepObserver: AnyObject {
    /// A step is about to start at `position` (before the step: `globalStep` steps done).
    func stepBegan(at position: TrainingPosition)
    /// `phase` starts now.
    func phaseBegan(_ phase: StepPhase)
    /// `phase` ended now.
    func phaseEnded(_ phase: StepPhase)
    /// A step ended; `position` is after it, `loss` is the sum of its micro-steps' mean losses
    /// on this rank (what `Trainer.step` returns).
    func stepEnded(at position: TrainingPosition, loss: Double) throws
    /// The step begun at `position` threw `error` (a peer failed, training diverged, ...) and
    /// ends here, with every phase still open; the error then leaves `Trainer.step`.
    func stepFailed(at position: TrainingPosition, error: any Error)
}

extension StepObserver {
    public func stepBegan(at position: TrainingPosition) {}
    public func phaseBegan(_ phase: StepPhase) {}
    public func phaseEnded(_ phase: StepPhase) {}
    public func stepEnded(at position: TrainingPosition, loss: Double) throws {}
    public func stepFailed(at position: TrainingPosition, error: any Error) {}
}
