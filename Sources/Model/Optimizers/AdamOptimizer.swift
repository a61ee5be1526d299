// AdamOptimizer: Adam and AdamW (decoupled weight decay) with PyTorch's bias correction,
// L2/L1 penalties, as one loop over the flat parameter and gradient buffers.

import Foundation

/// Adam as PyTorch's `torch.optim.Adam` / `AdamW` (amsgrad off). With t = stepCount + 1:
///
///     p -= lr·λ·p                        AdamW only (decoupled weight decay)
///     g = grad + λ·p + l1·sign(p)        the λ·p term for Adam only (L2 penalty)
///     m = β₁·m + (1-β₁)·g
///     v = β₂·v + (1-β₂)·g²
///     p -= (lr / (1-β₁ᵗ)) · m / (√v / √(1-β₂ᵗ) + ε)
///
/// The state is two tensors, `exp_avg` (m) and `exp_avg_sq` (v), over `stateRange`, plus the
/// step count that the bias correction needs.
public final class AdamOptimizer: Optimizer {
    /// Number of parameters the state covers.
    public let parameterCount: Int
    /// First-moment decay β₁.
    public let beta1: Double
    /// Second-moment decay β₂.
    public let beta2: Double
    /// Denominator term ε.
    public let epsilon: Float
    /// Weight decay λ: an L2 gradient penalty, or decoupled when `decoupledWeightDecay`.
    public let weightDecay: Float
    /// L1 penalty: `l1·sign(p)` added to the gradient.
    public let l1: Float
    /// true for AdamW.
    public let decoupledWeightDecay: Bool
    /// The elements weight decay applies to (sorted, disjoint); elsewhere λ is 0.
    public let decayedRanges: [Range<Int>]
    /// Updates applied so far, or restored from a checkpoint. Starts at 0.
    public private(set) var stepCount = 0
    /// The elements whose moments are kept (all, or a rank's shard); `step` updates within it.
    public private(set) var stateRange: Range<Int>
    private var expAvg: FloatBuffer
    private var expAvgSq: FloatBuffer
    /// The width the update runs its vector kernel at when there is no L1 term (default: the widest
    /// this CPU has); nil, the scalar loop — the two give the same bits.
    var vectorWidth = VectorWidth.available

    /// Creates the optimizer with zeroed moments. Defaults: β₁ 0.9, β₂ 0.999, ε 1e-8,
    /// weightDecay 0, l1 0, decoupledWeightDecay false (Adam), decayedRanges nil (every element),
    /// stateRange nil (every element).
    public init(
        parameterCount: Int, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0, l1: Float = 0, decoupledWeightDecay: Bool = false,
        decayedRanges: [Range<Int>]? = nil, stateRange: Range<Int>? = nil
    ) {
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam betas must be in [0, 1)")
        precondition(epsilon > 0, "Adam epsilon must be positive")
        precondition(weightDecay >= 0 && l1 >= 0, "penalties must be ≥ 0")
        self.parameterCount = parameterCount
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.l1 = l1
        self.decoupledWeightDecay = decoupledWeightDecay
        self.decayedRanges = decayedRanges ?? (parameterCount > 0 ? [0..<parameterCount] : [])
        precondition(zip(self.decayedRanges, self.decayedRanges.dropFirst()).allSatisfy { $0.upperBound <= $1.lowerBound }
                     && self.decayedRanges.allSatisfy { $0.lowerBound >= 0 && $0.upperBound <= parameterCount },
                     "decayedRanges must be sorted, disjoint and within the parameters")
        let kept = stateRange ?? 0..<parameterCount
        checkStateRange(kept, count: parameterCount)
        self.stateRange = kept
        expAvg = FloatBuffer(count: kept.count)
        expAvgSq = FloatBuffer(count: kept.count)
    }

    private var name: String { decoupledWeightDecay ? "AdamW" : "Adam" }

    public func step(
        parameters: UnsafeMutableBufferPointer<Float>,
        gradients: UnsafeMutableBufferPointer<Float>,
        learningRate: Float,
        range: Range<Int>
    ) {
        checkStepArguments(name, parameters: parameters, gradients: gradients, range: range, count: parameterCount,
                           stateRange: stateRange)
        stepCount += 1
        guard let p = parameters.baseAddress, let g = gradients.baseAddress else { return }
        // Scalars of this step, computed in Double once.
        let t = Double(stepCount)
        let correction1 = 1 - pow(beta1, t)
        let correction2 = 1 - pow(beta2, t)
        let stepSize = Float(Double(learningRate) / correction1)
        let inverseSqrtCorrection2 = Float(1 / correction2.squareRoot())
        let b1 = Float(beta1), b2 = Float(beta2)
        let oneMinusB1 = Float(1 - beta1), oneMinusB2 = Float(1 - beta2)
        let eps = epsilon, l1 = self.l1
        let decayedL2 = decoupledWeightDecay ? 0 : weightDecay
        let decayedFactor = decoupledWeightDecay ? 1 - learningRate * weightDecay : 1
        let m = expAvg.pointer, v = expAvgSq.pointer, first = stateRange.lowerBound
        /// The update over `elements`, with or without weight decay.
        func update(_ elements: Range<Int>, decayed: Bool) {
            let l2 = decayed ? decayedL2 : 0, decay = decayed ? decayedFactor : 1
            // Parameter i's moments are at i - first.
            let p = p + elements.lowerBound, g = g + elements.lowerBound
            let m = m + (elements.lowerBound - first), v = v + (elements.lowerBound - first)
            if let vectorWidth, l1 == 0 {
                let terms = VectorWidth.AdamTerms(l2: l2, beta1: b1, oneMinusBeta1: oneMinusB1, beta2: b2, oneMinusBeta2: oneMinusB2,
                                                  decay: decay, stepSize: stepSize,
                                                  inverseSqrtCorrection2: inverseSqrtCorrection2, epsilon: eps)
                vectorWidth.adam(p, g, m, v, count: elements.count, terms)
                return
            }
            for i in 0..<elements.count {
                let pi = p[i]
                let gi = g[i] + l2 * pi + l1 * penaltySign(pi)
                let mi = b1 * m[i] + oneMinusB1 * gi
                let vi = b2 * v[i] + oneMinusB2 * gi * gi
                m[i] = mi
                v[i] = vi
                p[i] = pi * decay - stepSize * mi / (vi.squareRoot() * inverseSqrtCorrection2 + eps)
            }
        }
        // Walk `range` through the decayed ranges: undecayed gaps, decayed overlaps.
        var next = range.lowerBound
        for decayed in decayedRanges where decayed.upperBound > next && decayed.lowerBound < range.upperBound {
            let start = max(decayed.lowerBound, next), end = min(decayed.upperBound, range.upperBound)
            if next < start { update(next..<start, decayed: false) }
            update(start..<end, decayed: true)
            next = end
        }
        if next < range.upperBound { update(next..<range.upperBound, decayed: false) }
    }

    public var stateNames: [String] { ["exp_avg", "exp_avg_sq"] }

    public func withStateBuffers<R>(_ body: ([UnsafeBufferPointer<Float>]) throws -> R) rethrows -> R {
        try body([UnsafeBufferPointer(expAvg.buffer), UnsafeBufferPointer(expAvgSq.buffer)])
    }

    public func restoreState(tensors: [String: [Float]], stepCount: Int, covering range: Range<Int>) throws {
        checkStateRange(range, count: parameterCount)
        try validateState(tensors, names: stateNames, count: range.count, stepCount: stepCount, optimizer: name)
        expAvg = holding(tensors["exp_avg"]!, reusing: expAvg)
        expAvgSq = holding(tensors["exp_avg_sq"]!, reusing: expAvgSq)
        stateRange = range
        self.stepCount = stepCount
    }
}
