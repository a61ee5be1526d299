// OptimizerSpec: which optimizer to build and its hyperparameters (SGD, Adam, AdamW, penalties),
// plus the checks that reject impossible combinations before a run starts.

/// The optimizer families ringtrain implements.
public enum OptimizerKind: String, Sendable, CaseIterable {
    /// Stochastic gradient descent, optionally with (Nesterov) momentum. PyTorch's `SGD`.
    case sgd
    /// Adam with bias correction; `weightDecay` is an L2 penalty added to the gradient.
    case adam
    /// Adam with decoupled weight decay (`p -= lr·weightDecay·p` before the Adam update).
    case adamw
}

/// Which parameters weight decay applies to.
public enum DecayScope: String, Sendable, CaseIterable {
    /// Every parameter, biases and normalisation parameters included (PyTorch without parameter groups).
    case all
    /// Only tensors of rank ≥ 2 (weight matrices, convolution kernels, embeddings); not biases
    /// or LayerNorm weights (nanoGPT's two parameter groups).
    case matrices
}

/// Hyperparameters of one optimizer. Every field but `kind` and `learningRate` has a default.
///
/// Penalties follow PyTorch without parameter groups: they apply to every parameter,
/// biases included. `learningRate` is the base rate the schedule starts from; the optimizer's
/// `step` takes the rate for the current step as an argument.
public struct OptimizerSpec: Sendable, Equatable {
    /// Which optimizer.
    public var kind: OptimizerKind
    /// Base learning rate (must be positive). No default.
    public var learningRate: Double
    /// Momentum factor μ for SGD, in [0, 1); 0 turns momentum off. Default 0.9.
    /// Ignored by Adam and AdamW.
    public var momentum: Double
    /// Nesterov momentum for SGD (needs `momentum > 0`). Default false. Ignored otherwise.
    public var nesterov: Bool
    /// Adam's first-moment decay β₁, in [0, 1). Default 0.9. Ignored by SGD.
    public var beta1: Double
    /// Adam's second-moment decay β₂, in [0, 1). Default 0.999. Ignored by SGD.
    public var beta2: Double
    /// Adam's denominator term ε (added after the square root). Default 1e-8. Ignored by SGD.
    public var epsilon: Double
    /// Weight decay λ ≥ 0. SGD and Adam add `λ·p` to the gradient (L2 penalty); AdamW
    /// decays the parameters directly (`p -= lr·λ·p`). Default 0.
    public var weightDecay: Double
    /// Which parameters `weightDecay` applies to. Default `.all`. `.matrices` is for Adam and
    /// AdamW only.
    public var decay: DecayScope
    /// L1 penalty ≥ 0: `l1·sign(p)` is added to the gradient (sign(0) = 0), for every kind.
    /// Default 0.
    public var l1: Double
    /// Maximum global L2 norm of the gradient, or nil for no clipping. Default nil.
    /// The optimizer does not clip by itself: the training loop calls `clipGradientNorm`
    /// with this value on the averaged gradient before `step`, and can log the returned norm.
    public var clipNorm: Double?

    /// Creates a spec; see each property for its meaning and default.
    public init(
        kind: OptimizerKind,
        learningRate: Double,
        momentum: Double = 0.9,
        nesterov: Bool = false,
        beta1: Double = 0.9,
        beta2: Double = 0.999,
        epsilon: Double = 1e-8,
        weightDecay: Double = 0,
        decay: DecayScope = .all,
        l1: Double = 0,
        clipNorm: Double? = nil
    ) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decay = decay
        self.l1 = l1
        self.clipNorm = clipNorm
    }

    /// Checks every field's range and cross-field rules; throws `OptimizerSpecError` naming
    /// the first offending field and what would be valid.
    public func validate() throws {
        func fail(_ field: String, _ hint: String) -> OptimizerSpecError {
            OptimizerSpecError(field: field, hint: hint)
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw fail("learningRate", "must be a positive number, got \(learningRate)")
        }
        guard weightDecay.isFinite, weightDecay >= 0 else {
            throw fail("weightDecay", "must be ≥ 0, got \(weightDecay)")
        }
        guard l1.isFinite, l1 >= 0 else { throw fail("l1", "must be ≥ 0, got \(l1)") }
        if let clipNorm, !(clipNorm.isFinite && clipNorm > 0) {
            throw fail("clipNorm", "must be positive (or absent for no clipping), got \(clipNorm)")
        }
        switch kind {
        case .sgd:
            guard momentum >= 0, momentum < 1 else {
                throw fail("momentum", "must be in [0, 1), got \(momentum)")
            }
            if nesterov && momentum == 0 {
                throw fail("nesterov", "Nesterov momentum needs momentum > 0")
            }
            if decay != .all { throw fail("decay", "matrices applies to adam and adamw; SGD decays every parameter (decay: all)") }
        case .adam, .adamw:
            guard beta1 >= 0, beta1 < 1 else { throw fail("beta1", "must be in [0, 1), got \(beta1)") }
            guard beta2 >= 0, beta2 < 1 else { throw fail("beta2", "must be in [0, 1), got \(beta2)") }
            guard epsilon.isFinite, epsilon > 0 else {
                throw fail("epsilon", "must be positive, got \(epsilon)")
            }
        }
    }
}

/// An optimizer hyperparameter out of range, with the field's name and what would be valid.
public struct OptimizerSpecError: Error, CustomStringConvertible, Equatable {
    /// The offending field, e.g. `momentum`.
    public let field: String
    /// What is wrong and what would be valid.
    public let hint: String

    public var description: String { "optimizer.\(field): \(hint)" }
}

/// The element ranges of the flat buffers that weight decay applies to under `scope`: all of
/// them, or the tensors of rank ≥ 2 in `layout` (adjacent ones merged), computed once.
public func decayedRanges(_ scope: DecayScope, layout: [ParameterEntry], parameterCount: Int) -> [Range<Int>] {
    guard scope == .matrices else { return parameterCount > 0 ? [0..<parameterCount] : [] }
    var ranges: [Range<Int>] = []
    for entry in layout.sorted(by: { $0.offset < $1.offset }) where entry.shape.count >= 2 && entry.count > 0 {
        let range = entry.offset..<(entry.offset + entry.count)
        if let last = ranges.last, last.upperBound == range.lowerBound {
            ranges[ranges.count - 1] = last.lowerBound..<range.upperBound
        } else {
            ranges.append(range)
        }
    }
    return ranges
}

/// Builds the optimizer `spec` describes, with zeroed state for `parameterCount` parameters.
/// `layout` (default empty) is the parameter table `spec.decay == .matrices` picks the decayed
/// tensors from. `stateRange` (default nil: every parameter) is the elements whose state it keeps:
/// a rank's shard when ranks split the update.
///
/// The spec should have passed `validate()`; out-of-range values are programmer errors here.
public func makeOptimizer(_ spec: OptimizerSpec, parameterCount: Int, layout: [ParameterEntry] = [],
                          stateRange: Range<Int>? = nil) -> any Optimizer {
    precondition(parameterCount >= 0, "parameterCount must be ≥ 0")
    switch spec.kind {
    case .sgd:
        return SGDOptimizer(
            parameterCount: parameterCount, momentum: Float(spec.momentum), nesterov: spec.nesterov,
            weightDecay: Float(spec.weightDecay), l1: Float(spec.l1), stateRange: stateRange)
    case .adam, .adamw:
        return AdamOptimizer(
            parameterCount: parameterCount, beta1: spec.beta1, beta2: spec.beta2,
            epsilon: Float(spec.epsilon), weightDecay: Float(spec.weightDecay), l1: Float(spec.l1),
            decoupledWeightDecay: spec.kind == .adamw,
            decayedRanges: decayedRanges(spec.decay, layout: layout, parameterCount: parameterCount),
            stateRange: stateRange)
    }
}
