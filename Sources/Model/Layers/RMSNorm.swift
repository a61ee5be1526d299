// RMSNorm: scales each position's last axis by the inverse of its root mean square, then by a
// learned weight (no bias, no centring: LLaMA's RMSNorm); its backward pass.

/// Root-mean-square normalisation over the last axis of `[..., features]` samples:
/// y = x / sqrt(mean(x²) + eps) · weight. Weight (`<name>.weight`, `[features]`) starts at 1.
public final class RMSNorm: Layer {
    public let name: String
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }
    /// Added to the mean square before the square root. Default 1e-5.
    public let epsilon: Float
    /// How the weight starts (default 1).
    public let initializer: Initializer

    private let features: Int
    private let positions: Int
    private var weight: ParameterView!   // [features]
    private let output = FloatBuffer()
    private let normalized = FloatBuffer()   // x̂ = x / rms, [rows, features]
    private let inverseRMS = FloatBuffer()   // 1 / rms per row
    private let inputGradient = FloatBuffer()

    /// Normalises the last axis of `inputShape` samples; parameters are named `<name>.weight`.
    /// `epsilon` must be a positive normal Float (the config allows [1e-30, 1]); `initializer`
    /// sets the weight's first values.
    public init(name: String, inputShape: [Int], epsilon: Float = 1e-5, initializer: Initializer = .constant(1)) {
        precondition(!inputShape.isEmpty, "RMSNorm needs at least one axis")
        self.name = name
        self.inputShape = inputShape
        self.epsilon = epsilon
        self.initializer = initializer
        features = inputShape[inputShape.count - 1]
        positions = elementCount(inputShape) / features
    }

    public var parameterRequests: [ParameterRequest] {
        [ParameterRequest("weight", shape: [features], initializer: initializer)]
    }

    public func bind(_ views: [ParameterView]) { weight = views[0] }

    /// The output, the normalized input and one inverse RMS per row; training adds the input gradient.
    public func activationFloats(batch: Int, training: Bool) -> Double {
        Double(batch) * (Double(elementCount(inputShape)) * (training ? 3 : 2) + Double(positions))
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let rows = batch * positions, n = features
        output.resize(rows * n)
        normalized.resize(rows * n)
        inverseRMS.resize(rows)
        let w = UnsafePointer(weight.value.baseAddress!)
        for r in 0..<rows {
            let x = input + r * n, xhat = normalized.pointer + r * n, y = output.pointer + r * n
            var squares: Float = 0
            for i in 0..<n { squares += x[i] * x[i] }
            let inverse = 1 / (squares / Float(n) + epsilon).squareRoot()
            inverseRMS.pointer[r] = inverse
            for i in 0..<n {
                let h = x[i] * inverse
                xhat[i] = h
                y[i] = h * w[i]
            }
        }
        return output.pointer
    }

    /// With g = dy·w: dw += dy·x̂, dx = (g − x̂ · mean(g·x̂)) / rms.
    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        let rows = batch * positions, n = features
        let w = UnsafePointer(weight.value.baseAddress!), dw = weight.gradient.baseAddress!
        if !accumulate { dw.update(repeating: 0, count: n) }
        if needInputGradient { inputGradient.resize(rows * n) }
        for r in 0..<rows {
            let dy = outputGradient + r * n, xhat = UnsafePointer(normalized.pointer + r * n)
            var projection: Float = 0
            for i in 0..<n {
                dw[i] += dy[i] * xhat[i]
                projection += dy[i] * w[i] * xhat[i]
            }
            guard needInputGradient else { continue }
            projection /= Float(n)
            let inverse = inverseRMS.pointer[r], dx = inputGradient.pointer + r * n
            for i in 0..<n { dx[i] = inverse * (dy[i] * w[i] - xhat[i] * projection) }
        }
        return needInputGradient ? inputGradient.pointer : nil
    }
}
