// Activations: element-wise ReLU, Tanh, Sigmoid, GELU (exact and tanh form) and SiLU layers,
// each with its derivative. One generic layer type runs any of them; the choice is a small enum.
import Foundation

/// An element-wise activation function.
public enum ActivationKind: String, Sendable, CaseIterable {
    /// max(x, 0).
    case relu
    case tanh, sigmoid
    /// x Φ(x), with the exact normal CDF (PyTorch's default GELU).
    case gelu
    /// GELU's tanh approximation: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
    case gelu_tanh
    /// x σ(x) (also called swish).
    case silu

    /// Default weight initialisation for a Dense layer feeding this activation.
    public var preferredInit: WeightInit { self == .tanh || self == .sigmoid ? .xavier : .he }
}

/// Applies an activation element-wise; shape is unchanged.
public final class Activation: Layer {
    public let name: String
    public let kind: ActivationKind
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }

    /// The width tanh-GELU's vector kernels run at (default: the widest this CPU has); nil, the
    /// scalar loops run — tests compare them.
    var vectorWidth = VectorWidth.available
    private var input: UnsafePointer<Float>?
    private let output = FloatBuffer()
    private let inputGradient = FloatBuffer()

    public init(name: String, kind: ActivationKind, shape: [Int]) {
        self.name = name
        self.kind = kind
        self.inputShape = shape
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        self.input = input
        let n = batch * elementCount(inputShape)
        output.resize(n)
        let y = output.pointer
        switch kind {
        case .relu: for i in 0..<n { y[i] = max(input[i], 0) }
        case .tanh: for i in 0..<n { y[i] = tanhf(input[i]) }
        case .sigmoid: for i in 0..<n { y[i] = Activation.sigmoid(input[i]) }
        case .gelu: for i in 0..<n { y[i] = input[i] * Activation.normalCDF(input[i]) }
        case .gelu_tanh where vectorWidth != nil: vectorWidth!.geluTanhForward(input, y, n)
        case .gelu_tanh:
            for i in 0..<n {
                let v = input[i]
                y[i] = 0.5 * v * (1 + tanhf(Activation.geluTanhScale * (v + 0.044_715 * v * v * v)))
            }
        case .silu: for i in 0..<n { y[i] = input[i] * Activation.sigmoid(input[i]) }
        }
        return y
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        guard let x = input else { preconditionFailure("\(name): backward before forward") }
        let n = batch * elementCount(inputShape)
        inputGradient.resize(n)
        let dx = inputGradient.pointer, y = output.pointer, dy = outputGradient
        switch kind {
        case .relu: Activation.reluBackward(x, dy, dx, n)
        case .tanh: for i in 0..<n { dx[i] = dy[i] * (1 - y[i] * y[i]) }
        case .sigmoid: for i in 0..<n { dx[i] = dy[i] * y[i] * (1 - y[i]) }
        case .gelu:
            // d/dx [x Φ(x)] = Φ(x) + x φ(x)
            let invSqrt2Pi: Float = 0.398_942_28
            for i in 0..<n {
                let v = x[i]
                dx[i] = dy[i] * (Activation.normalCDF(v) + v * invSqrt2Pi * expf(-0.5 * v * v))
            }
        case .gelu_tanh where vectorWidth != nil: vectorWidth!.geluTanhBackward(x, dy, dx, n)
        case .gelu_tanh:
            for i in 0..<n {
                let v = x[i]
                let t = tanhf(Activation.geluTanhScale * (v + 0.044_715 * v * v * v))
                let dInner = Activation.geluTanhScale * (1 + 3 * 0.044_715 * v * v)
                dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner)
            }
        case .silu:
            for i in 0..<n {
                let s = Activation.sigmoid(x[i])
                dx[i] = dy[i] * (s + x[i] * s * (1 - s))
            }
        }
        return dx
    }

    /// dx = dy where x > 0, else 0 — a branch-free loop the compiler vectorises.
    @inline(never)
    static func reluBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                             _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let mask: UInt32 = x[i] > 0 ? 0xFFFF_FFFF : 0
            dx[i] = Float(bitPattern: dy[i].bitPattern & mask)
        }
    }

    /// Logistic function, stable for large |x|.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let e = expf(x)
        return e / (1 + e)
    }

    /// √(2/π), the tanh-GELU's inner scale.
    static let geluTanhScale: Float = 0.797_884_56

    /// Standard normal CDF Φ(x) (GELU uses the exact form, as PyTorch's default does).
    @inline(__always)
    static func normalCDF(_ x: Float) -> Float { 0.5 * (1 + erff(x * 0.707_106_78)) }
}
