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

    /// Adds one step whose phases started at the given uptime nanoseconds.
    mutating func record(computeStart: UInt64, communicateStart: UInt64, updateStart: UInt64, end: UInt64) {
        computeNanoseconds += communicateStart - computeStart
        communicateNanoseconds += updateStart - communicateStart
        updateNanoseconds += end - updateStart
        steps += 1
    }

    /// Mean milliseconds per step of each phase: (compute, communicate, update).
    public var millisecondsPerStep: (compute: Double, communicate: Double, update: Double) {
        guard steps > 0 else { return (0, 0, 0) }
        let d = Double(steps) * 1e6
        return (Double(computeNanoseconds) / d, Double(communicateNanoseconds) / d, Double(updateNanoseconds) / d)
    }
}
