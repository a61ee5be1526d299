// StepPhaseTimes: where a training step's time goes — computing gradients, averaging them
// across ranks, and updating the parameters — summed over steps, for benchmarks.

/// Nanoseconds spent per phase, summed over `steps` training steps.
public struct StepPhaseTimes: Sendable, Equatable {
    /// Gather, forward, loss and backward of every micro-step.
    public var computeNanoseconds: UInt64 = 0
    /// Waiting for the gradient average across ranks (what overlap does not hide).
    public var communicateNanoseconds: UInt64 = 0
    /// Clipping and the optimizer update.
    public var updateNanoseconds: UInt64 = 0
    /// Steps recorded.
    public var steps = 0

    public init() {}

    /// Adds one step that spent these nanoseconds in each phase.
    mutating func record(compute: UInt64, communicate: UInt64, update: UInt64) {
        computeNanoseconds += compute
        communicateNanoseconds += communicate
        updateNanoseconds += update
        steps += 1
    }

    /// Mean milliseconds per step of each phase: (compute, communicate, update).
    public var millisecondsPerStep: (compute: Double, communicate: Double, update: Double) {
        guard steps > 0 else { return (0, 0, 0) }
        let d = Double(steps) * 1e6
        return (Double(computeNanoseconds) / d, Double(communicateNanoseconds) / d, Double(updateNanoseconds) / d)
    }
}
