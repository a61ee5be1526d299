// LayerNorm: normalises each position's last axis to zero mean and unit variance, then scales and
// shifts it (weight, bias of that axis's size, PyTorch's nn.LayerNorm names); its backward pass.
import Foundation

/// Layer normalisation over the last axis of `[..., features]` samples (eps 1e-5, biased
/// variance, as PyTorch). Weight starts at 1, bias at 0.
public final class LayerNorm: Layer {
    public let name: String
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }
    /// Added to the variance before the square root. Default 1e-5.
    public let epsilon: Float

    /// The width the vector kernels run at (default: the widest this CPU has); nil, the scalar
    /// loops run — tests compare them.
    var vectorWidth = VectorWidth.available
    private let features: Int
    private let positions: Int
    private var weight: ParameterView!   // [features]
    private var bias: ParameterView!     // [features]
    private let output = FloatBuffer()
    private let normalized = FloatBuffer()        // x̂, [rows, features]
    private let inverseDeviation = FloatBuffer()  // 1/σ per row
    private let inputGradient = FloatBuffer()

    public init(name: String, inputShape: [Int], epsilon: Float = 1e-5) {
        precondition(!inputShape.isEmpty, "LayerNorm needs at least one axis")
        self.name = name
        self.inputShape = inputShape
        self.epsilon = epsilon
        features = inputShape[inputShape.count - 1]
        positions = elementCount(inputShape) / features
    }

    public var parameterRequests: [ParameterRequest] {
        [ParameterRequest("weight", shape: [features], initializer: .constant(1)),
         ParameterRequest("bias", shape: [features], initializer: .constant(0))]
    }

    public func bind(_ views: [ParameterView]) {
        weight = views[0]
        bias = views[1]
    }

    /// The output, the normalized input and one deviation per row; training adds the input gradient.
    public func activationFloats(batch: Int, training: Bool) -> Double {
        Double(batch) * (Double(elementCount(inputShape)) * (training ? 3 : 2) + Double(positions))
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let rows = batch * positions
        output.resize(rows * features)
        normalized.resize(rows * features)
        inverseDeviation.resize(rows)
        let w = weight.value.baseAddress!, b = bias.value.baseAddress!
        if let vectorWidth {
            vectorWidth.layerNormForward(input, weight: w, bias: b, output: output.pointer, normalized: normalized.pointer,
                                         inverseDeviation: inverseDeviation.pointer, rows: rows, features: features, epsilon: epsilon)
            return output.pointer
        }
        for r in 0..<rows {
            let x = input + r * features, xhat = normalized.pointer + r * features, y = output.pointer + r * features
            var mean: Float = 0
            for i in 0..<features { mean += x[i] }
            mean /= Float(features)
            var variance: Float = 0
            for i in 0..<features { variance += (x[i] - mean) * (x[i] - mean) }
            variance /= Float(features)
            let inverse = 1 / (variance + epsilon).squareRoot()
            inverseDeviation.pointer[r] = inverse
            for i in 0..<features {
                xhat[i] = (x[i] - mean) * inverse
                y[i] = xhat[i] * w[i] + b[i]
            }
        }
        return output.pointer
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        let rows = batch * positions
        let w = weight.value.baseAddress!
        let dw = weight.gradient.baseAddress!, db = bias.gradient.baseAddress!
        if !accumulate {
            dw.update(repeating: 0, count: features)
            db.update(repeating: 0, count: features)
        }
        if needInputGradient { inputGradient.resize(rows * features) }
        if let vectorWidth {
            vectorWidth.layerNormBackward(outputGradient, normalized: normalized.pointer, weight: w,
                                          inverseDeviation: inverseDeviation.pointer, weightGradient: dw, biasGradient: db,
                                          inputGradient: needInputGradient ? inputGradient.pointer : nil, rows: rows, features: features)
            return needInputGradient ? inputGradient.pointer : nil
        }
        for r in 0..<rows {
            let dy = outputGradient + r * features, xhat = normalized.pointer + r * features
            var meanD: Float = 0, meanDX: Float = 0
            for i in 0..<features {
                dw[i] += dy[i] * xhat[i]
                db[i] += dy[i]
                let d = dy[i] * w[i]
                meanD += d
                meanDX += d * xhat[i]
            }
            guard needInputGradient else { continue }
            meanD /= Float(features)
            meanDX /= Float(features)
            let inverse = inverseDeviation.pointer[r], dx = inputGradient.pointer + r * features
            for i in 0..<features { dx[i] = inverse * (dy[i] * w[i] - meanD - xhat[i] * meanDX) }
        }
        return needInputGradient ? inputGradient.pointer : nil
    }
}
