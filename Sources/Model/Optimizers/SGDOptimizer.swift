// SGDOptimizer: stochastic gradient descent with optional momentum or Nesterov momentum,
// L2 and L1 penalties, in PyTorch's conventions (dampening 0), as one loop over the flat buffers.

/// SGD as PyTorch's `torch.optim.SGD` with `dampening = 0`:
///
///     g = grad + weightDecay·p + l1·sign(p)
///     v = μ·v + g                       (v starts at 0, so the first v is g)
///     p -= lr·v                         plain momentum
///     p -= lr·(g + μ·v)                 Nesterov
///     p -= lr·g                         μ = 0 (no state kept)
///
/// The state is one tensor, `momentum` (v) over `stateRange`, present only when μ > 0.
public final class SGDOptimizer: Optimizer {
    /// Number of parameters the state covers.
    public let parameterCount: Int
    /// Momentum factor μ (0 = none).
    public let momentum: Float
    /// Whether the update uses Nesterov momentum.
    public let nesterov: Bool
    /// L2 penalty added to the gradient.
    public let weightDecay: Float
    /// L1 penalty: `l1·sign(p)` added to the gradient.
    public let l1: Float
    /// Updates applied so far, or restored from a checkpoint. Starts at 0.
    public private(set) var stepCount = 0
    /// The elements whose momentum is kept (all, or a rank's shard); `step` updates within it.
    public private(set) var stateRange: Range<Int>
    private var velocity: FloatBuffer

    /// Creates the optimizer with zeroed momentum. Defaults: momentum 0.9, nesterov false,
    /// weightDecay 0, l1 0, stateRange nil (every element).
    public init(
        parameterCount: Int, momentum: Float = 0.9, nesterov: Bool = false,
        weightDecay: Float = 0, l1: Float = 0, stateRange: Range<Int>? = nil
    ) {
        precondition(momentum >= 0 && momentum < 1, "SGD momentum must be in [0, 1)")
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        precondition(weightDecay >= 0 && l1 >= 0, "penalties must be ≥ 0")
        self.parameterCount = parameterCount
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.l1 = l1
        let kept = stateRange ?? 0..<parameterCount
        checkStateRange(kept, count: parameterCount)
        self.stateRange = kept
        velocity = FloatBuffer(count: momentum > 0 ? kept.count : 0)
    }

    public func step(
        parameters: UnsafeMutableBufferPointer<Float>,
        gradients: UnsafeMutableBufferPointer<Float>,
        learningRate: Float,
        range: Range<Int>
    ) {
        checkStepArguments("SGD", parameters: parameters, gradients: gradients, range: range, count: parameterCount,
                           stateRange: stateRange)
        guard let p = parameters.baseAddress, let g = gradients.baseAddress else {
            stepCount += 1
            return
        }
        guard !range.isEmpty else {
            stepCount += 1
            return
        }
        let lr = learningRate, wd = weightDecay, l1 = self.l1, mu = momentum
        if mu == 0 {
            for i in range {
                let gi = g[i] + wd * p[i] + l1 * penaltySign(p[i])
                p[i] -= lr * gi
            }
        } else {
            // Parameter i's momentum is at i - stateRange.lowerBound: the loops run over the
            // range from its start, with the pointers moved there.
            let first = range.lowerBound, v = velocity.pointer + (first - stateRange.lowerBound)
            let p = p + first, g = g + first
            let range = 0..<range.count
            if nesterov {
                for i in range {
                    let gi = g[i] + wd * p[i] + l1 * penaltySign(p[i])
                    let vi = mu * v[i] + gi
                    v[i] = vi
                    p[i] -= lr * (gi + mu * vi)
                }
            } else if wd == 0 && l1 == 0 {
                // The common case, kept free of penalty terms so it vectorises.
                for i in range {
                    let vi = mu * v[i] + g[i]
                    v[i] = vi
                    p[i] -= lr * vi
                }
            } else {
                for i in range {
                    let gi = g[i] + wd * p[i] + l1 * penaltySign(p[i])
                    let vi = mu * v[i] + gi
                    v[i] = vi
                    p[i] -= lr * vi
                }
            }
        }
        stepCount += 1
    }

    public var stateNames: [String] { momentum > 0 ? ["momentum"] : [] }

    public func withStateBuffers<R>(_ body: ([UnsafeBufferPointer<Float>]) throws -> R) rethrows -> R {
        try body(momentum > 0 ? [UnsafeBufferPointer(velocity.buffer)] : [])
    }

    public func restoreState(tensors: [String: [Float]], stepCount: Int, covering range: Range<Int>) throws {
        checkStateRange(range, count: parameterCount)
        try validateState(tensors, names: stateNames, count: range.count, stepCount: stepCount, optimizer: "SGD")
        if let values = tensors["momentum"] { velocity = holding(values, reusing: velocity) }
        stateRange = range
        self.stepCount = stepCount
    }
}
