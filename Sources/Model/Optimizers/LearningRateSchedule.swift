// LearningRateSchedule: constant, step-decay and cosine learning rates with optional linear
// warmup, as a pure function of the step number so a resumed run needs only the step.

import Foundation

/// The shapes of learning-rate schedule after warmup.
public enum ScheduleKind: String, Sendable, CaseIterable {
    /// The base rate throughout.
    case constant
    /// The base rate multiplied by `gamma` every `stepSize` steps.
    case step
    /// Half a cosine from the base rate down to `minLearningRate` at the last step.
    case cosine
}

/// How the learning rate changes over a run. Every field has a default.
public struct ScheduleSpec: Sendable, Equatable {
    /// The schedule after warmup. Default `.constant`.
    public var kind: ScheduleKind
    /// Steps of linear warmup before the schedule starts (0 = none). Default 0.
    public var warmupSteps: Int
    /// For `.step`: steps between decays, counted after warmup. Default 1000.
    public var stepSize: Int
    /// For `.step`: factor applied at each decay. Default 0.1.
    public var gamma: Double
    /// For `.cosine`: the rate reached at the last step. Default 0.
    public var minLearningRate: Double

    /// Creates a spec; see each property for its meaning and default.
    public init(
        kind: ScheduleKind = .constant, warmupSteps: Int = 0, stepSize: Int = 1000,
        gamma: Double = 0.1, minLearningRate: Double = 0
    ) {
        self.kind = kind
        self.warmupSteps = warmupSteps
        self.stepSize = stepSize
        self.gamma = gamma
        self.minLearningRate = minLearningRate
    }

    /// Checks each field's range; throws `ScheduleSpecError` naming the first offending field.
    public func validate() throws {
        guard warmupSteps >= 0 else {
            throw ScheduleSpecError(field: "warmupSteps", hint: "must be ≥ 0, got \(warmupSteps)")
        }
        guard stepSize > 0 else {
            throw ScheduleSpecError(field: "stepSize", hint: "must be ≥ 1, got \(stepSize)")
        }
        guard gamma.isFinite, gamma > 0 else {
            throw ScheduleSpecError(field: "gamma", hint: "must be positive, got \(gamma)")
        }
        guard minLearningRate.isFinite, minLearningRate >= 0 else {
            throw ScheduleSpecError(field: "minLearningRate", hint: "must be ≥ 0, got \(minLearningRate)")
        }
    }
}

/// A schedule hyperparameter out of range, with the field's name and what would be valid.
public struct ScheduleSpecError: Error, CustomStringConvertible, Equatable {
    /// The offending field, e.g. `stepSize`.
    public let field: String
    /// What is wrong and what would be valid.
    public let hint: String

    public var description: String { "schedule.\(field): \(hint)" }
}

/// The learning rate at each step of a run of `totalSteps` steps.
///
/// Steps count from 0 (the first update). During warmup, step s < W gets
/// `base·(s+1)/W`, so the first step already moves and step W-1 reaches the base rate.
/// From step W on the schedule runs on its own clock `k = s - W`, which covers the
/// remaining `totalSteps - W` steps:
/// - constant: `base`
/// - step: `base·gamma^⌊k / stepSize⌋`
/// - cosine: `min + (base - min)·(1 + cos(π·k / K))/2` with K = max(1, totalSteps - W),
///   as PyTorch's `CosineAnnealingLR(T_max: K)`: the first step after warmup gets `base`,
///   step W + K/2 gets the midpoint `(base + min)/2`, and the rate reaches `min` at step
///   `totalSteps` (one past the last update), staying there for any later step.
public struct LearningRateSchedule: Sendable {
    /// The schedule's shape and parameters.
    public let spec: ScheduleSpec
    /// The rate at the end of warmup (the optimizer spec's learning rate).
    public let baseLearningRate: Double
    /// Steps in the whole run, warmup included.
    public let totalSteps: Int

    /// Creates the schedule. `spec` should have passed `validate()`.
    public init(_ spec: ScheduleSpec, baseLearningRate: Double, totalSteps: Int) {
        precondition(spec.warmupSteps >= 0 && spec.stepSize > 0, "invalid schedule spec \(spec)")
        precondition(totalSteps >= 0, "totalSteps must be ≥ 0")
        self.spec = spec
        self.baseLearningRate = baseLearningRate
        self.totalSteps = totalSteps
    }

    /// The learning rate for the update numbered `step` (0-based).
    public func learningRate(atStep step: Int) -> Double {
        precondition(step >= 0, "step must be ≥ 0, got \(step)")
        let warmup = spec.warmupSteps
        if step < warmup {
            return baseLearningRate * Double(step + 1) / Double(warmup)
        }
        let k = step - warmup
        switch spec.kind {
        case .constant:
            return baseLearningRate
        case .step:
            return baseLearningRate * pow(spec.gamma, Double(k / spec.stepSize))
        case .cosine:
            let span = max(1, totalSteps - warmup)
            let progress = min(1, Double(k) / Double(span))
            let minimum = spec.minLearningRate
            return minimum + (baseLearningRate - minimum) * (1 + cos(Double.pi * progress)) / 2
        }
    }
}
