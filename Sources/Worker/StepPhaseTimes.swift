// StepPhaseTimes: where a training step's time goes — computing gradients, averaging them
// across ranks, and updating the parameters — summed over steps, for benchmarks (a StepObserver).
import Dispatch

/// Nanoseconds spent per phase, summed over `steps` training steps. Set it as `Trainer.observer`.
public final class StepPhaseTimes: StepObserver {
    /// Gather, forward, loss and backward of every micro-step.
    public private(set) var computeNanoseconds: UInt64 = 0
    /// Waiting for the gradient average across ranks (what overlap does not hide).
    public private(set) var communicateNanoseconds: UInt64 = 0
    /// Clipping and the optimizer update.
    public private(set) var updateNanoseconds: UInt64 = 0
    /// Steps recorded.
    public private(set) var steps = 0

    private var stepStart: UInt64 = 0, exchangeStart: UInt64 = 0, updateStart: UInt64 = 0
    /// Clip and update time inside the current step's exchange.
    private var stepUpdate: UInt64 = 0

    public init() {}

    /// Forgets every step recorded so far.
    public func reset() {
        (computeNanoseconds, communicateNanoseconds, updateNanoseconds, steps) = (0, 0, 0, 0)
    }

    public func stepBegan(at position: TrainingPosition) {
        stepStart = Self.now()
    }

    public func phaseBegan(_ phase: StepPhase) {
        switch phase {
        case .exchange:
            exchangeStart = Self.now()
            stepUpdate = 0
        case .clip, .update: updateStart = Self.now()
        default: break
        }
    }

    public func phaseEnded(_ phase: StepPhase) {
        switch phase {
        case .clip, .update: stepUpdate += Self.now() - updateStart
        case .exchange:
            // The exchange ends the step's timed work: compute before it, the update inside it.
            computeNanoseconds += exchangeStart - stepStart
            communicateNanoseconds += Self.now() - exchangeStart - stepUpdate
            updateNanoseconds += stepUpdate
            steps += 1
        default: break
        }
    }

    /// Mean milliseconds per step of each phase: (compute, communicate, update).
    public var millisecondsPerStep: (compute: Double, communicate: Double, update: Double) {
        guard steps > 0 else { return (0, 0, 0) }
        let d = Double(steps) * 1e6
        return (Double(computeNanoseconds) / d, Double(communicateNanoseconds) / d, Double(updateNanoseconds) / d)
    }

    /// Nanoseconds on the monotonic clock.
    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
