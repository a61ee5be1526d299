// Layer: the protocol every layer implements — its parameters, its shapes, forward and backward.
// Layers do their own backward pass (no autodiff) and keep their buffers between batches.

/// What a forward pass needs to know besides its input.
public struct ForwardContext: Sendable {
    /// True while training (dropout active), false for evaluation.
    public var training: Bool
    /// Run seed; with `step` and `rank` it keys dropout masks.
    public var seed: UInt64
    /// Global optimisation step (for dropout masks).
    public var step: UInt64
    /// Rank of this process (masks differ per rank yet stay deterministic).
    public var rank: UInt64
    /// Micro-step within a gradient-accumulation cycle (0 without accumulation).
    public var microStep: UInt64

    /// Creates a context; defaults describe evaluation on rank 0.
    public init(training: Bool = false, seed: UInt64 = 0, step: UInt64 = 0, rank: UInt64 = 0,
                microStep: UInt64 = 0) {
        self.training = training
        self.seed = seed
        self.step = step
        self.rank = rank
        self.microStep = microStep
    }
}

/// A named parameter tensor a layer asks for, relative to the layer's name.
public struct ParameterRequest: Sendable, Equatable {
    /// Suffix of the full name, e.g. `weight` (full name `fc1.weight`).
    public var name: String
    /// Shape, row-major.
    public var shape: [Int]
    /// How to initialise it.
    public var initializer: Initializer

    public init(_ name: String, shape: [Int], initializer: Initializer) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
    }
}

/// A layer of a feed-forward network working on a batch of samples stored row-major:
/// `[batch, inputShape...]` in, `[batch, outputShape...]` out.
///
/// The input pointer given to `forward` must stay valid until `backward` returns (the previous
/// layer owns it). Returned pointers belong to the layer and stay valid until its next call.
public protocol Layer: AnyObject {
    /// Name used as the prefix of its parameter names (`fc1`, `conv2` ...).
    var name: String { get }
    /// Per-sample input shape.
    var inputShape: [Int] { get }
    /// Per-sample output shape.
    var outputShape: [Int] { get }
    /// Parameter tensors this layer needs (empty for activations).
    var parameterRequests: [ParameterRequest] { get }
    /// Hands the layer its views into the flat buffers, in `parameterRequests` order.
    func bind(_ views: [ParameterView])
    /// Computes the output for `batch` samples.
    func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float>
    /// Given dLoss/dOutput, adds dLoss/dParameters to the gradient views (or overwrites them
    /// when `accumulate` is false) and returns dLoss/dInput — or nil when `needInputGradient`
    /// is false (the first layer skips that product).
    func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                  needInputGradient: Bool) -> UnsafeMutablePointer<Float>?
    /// The sgemm calls one training step makes at `batch` samples (forward, weight gradient,
    /// and input gradient when needed), for FLOP counts and the sgemm-bound speed limit.
    func matrixProducts(batch: Int, needInputGradient: Bool) -> [MatrixProduct]
    /// Floats the layer's own buffers hold at `batch` samples: its output and caches, plus, when
    /// `training`, what backward keeps (the input gradient, scratch). For memory estimates: an
    /// upper-ish bound, not an exact count. Default: the output, plus the input gradient when training.
    func activationFloats(batch: Int, training: Bool) -> Double
}

/// The shape of one sgemm call: C[m, n] = op(A)[m, k] · op(B)[k, n].
public struct MatrixProduct: Sendable, Equatable, Hashable {
    public var m: Int, n: Int, k: Int
    /// Whether A and B are used transposed.
    public var transposeA: Bool, transposeB: Bool
    public init(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) {
        (self.m, self.n, self.k, self.transposeA, self.transposeB) = (m, n, k, transposeA, transposeB)
    }
    /// Floating-point operations (2 per multiply-add).
    public var flops: Int { 2 * m * n * k }
}

extension Layer {
    public var parameterRequests: [ParameterRequest] { [] }
    public func bind(_ views: [ParameterView]) {}
    public func matrixProducts(batch: Int, needInputGradient: Bool) -> [MatrixProduct] { [] }
    public func activationFloats(batch: Int, training: Bool) -> Double {
        Double(batch) * Double(elementCount(outputShape) + (training ? elementCount(inputShape) : 0))
    }
}

/// Number of elements in a shape.
@inline(__always)
func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }
