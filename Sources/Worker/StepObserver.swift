// StepObserver: what a watcher of training (phase timing, traces, timelines) is told as a step
// runs — each phase's start and end, in order — so that none of them lives inside `Trainer`.

/// One phase of training, as a `StepObserver` is told of it. The phases of one optimizer step,
/// in order: per micro-step `gather`, `forward`, `backward`; then `exchange`, which encloses the
/// collectives of the gradient exchange (`allReduce`, or `reduceScatter` … `allGather`) and the
/// `clip` and `update` it runs. `evaluation` and `checkpoint` come between steps.
public enum StepPhase: Sendable, Hashable {
    /// Gathering the micro-step's batch from the training split.
    case gather(microStep: Int)
    /// The forward pass, the loss and its gradient, and the batch's metrics.
    case forward(microStep: Int)
    /// The backward pass (with overlap, the last one starts buckets across the ranks).
    case backward(microStep: Int)
    /// The whole gradient exchange across ranks, including the update it runs.
    case exchange
    /// An all-reduce of `bytes` on the wire per rank's buffer (with overlap: waiting for the buckets).
    case allReduce(bytes: Int)
    /// The reduce-scatter of the sharded update over a buffer of `bytes`.
    case reduceScatter(bytes: Int)
    /// The all-gather of the parameters after the sharded update, over a buffer of `bytes`.
    case allGather(bytes: Int)
    /// Clipping the averaged gradients to `optimizer.clip_norm`.
    case clip
    /// The optimizer update of this rank's parameters (skipped steps have none).
    case update
    /// Evaluating the validation split for a metrics line.
    case evaluation
    /// Writing a checkpoint (rank 0 writes; the other ranks wait).
    case checkpoint

    /// A short name (`"gather"`, `"all_reduce"`, ...), e.g. for a timeline's span.
    public var name: String {
        switch self {
        case .gather: "gather"
        case .forward: "forward"
        case .backward: "backward"
        case .exchange: "exchange"
        case .allReduce: "all_reduce"
        case .reduceScatter: "reduce_scatter"
        case .allGather: "all_gather"
        case .clip: "clip"
        case .update: "update"
        case .evaluation: "evaluation"
        case .checkpoint: "checkpoint"
        }
    }
}

/// Watches training: `Trainer.observer` tells it of every step and phase as they start and end,
/// on the training thread. Every method has an empty default. An observer that wants times reads
/// its own clock when told; with no observer, training reads no clock and allocates nothing.
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
}

extension StepObserver {
    public func stepBegan(at position: TrainingPosition) {}
    public func phaseBegan(_ phase: StepPhase) {}
    public func phaseEnded(_ phase: StepPhase) {}
    public func stepEnded(at position: TrainingPosition, loss: Double) throws {}
}
