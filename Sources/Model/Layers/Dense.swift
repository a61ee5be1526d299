// Dense: a fully connected layer y = x·Wᵀ + b with the bias fused into the matrix product.
// Weight layout [outputs, inputs] (PyTorch's nn.Linear), so checkpoints load there unchanged.
import CBLAS

/// Which random initialisation a weight matrix uses.
public enum WeightInit: String, Sendable {
    /// He normal, for ReLU-family activations.
    case he
    /// Xavier uniform, for tanh, sigmoid and output layers.
    case xavier
}

/// Fully connected layer. Input `[batch, inputs]`, output `[batch, outputs]`.
public final class Dense: Layer {
    public let name: String
    public let inputs: Int
    public let outputs: Int
    public let weightInit: WeightInit
    public var inputShape: [Int] { [inputs] }
    public var outputShape: [Int] { [outputs] }

    private var weight: ParameterView!   // [outputs, inputs]
    private var bias: ParameterView!     // [outputs]
    private var input: UnsafePointer<Float>?
    private let output = FloatBuffer()
    private let inputGradient = FloatBuffer()

    /// Creates a layer mapping `inputs` features to `outputs` (He initialisation by default).
    public init(name: String, inputs: Int, outputs: Int, weightInit: WeightInit = .he) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.weightInit = weightInit
    }

    public var parameterRequests: [ParameterRequest] {
        let w: Initializer = weightInit == .he
            ? .he(fanIn: inputs) : .xavier(fanIn: inputs, fanOut: outputs)
        return [ParameterRequest("weight", shape: [outputs, inputs], initializer: w),
                ParameterRequest("bias", shape: [outputs], initializer: .constant(0))]
    }

    public func bind(_ views: [ParameterView]) {
        weight = views[0]
        bias = views[1]
    }

    public func matrixProducts(batch: Int, needInputGradient: Bool) -> [MatrixProduct] {
        [MatrixProduct(m: batch, n: outputs, k: inputs, transposeA: false, transposeB: true),
         MatrixProduct(m: outputs, n: inputs, k: batch, transposeA: true, transposeB: false)]
        + (needInputGradient ? [MatrixProduct(m: batch, n: inputs, k: outputs, transposeA: false, transposeB: false)] : [])
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        self.input = input
        output.resize(batch * outputs)
        let y = output.pointer
        let b = bias.value.baseAddress!
        for row in 0..<batch { (y + row * outputs).update(from: b, count: outputs) }
        // y[batch, out] = x[batch, in] · W[out, in]ᵀ + y
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                    Int32(batch), Int32(outputs), Int32(inputs),
                    1, input, Int32(inputs), weight.value.baseAddress, Int32(inputs),
                    1, y, Int32(outputs))
        return y
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        // dW[out, in] (+)= dYᵀ[out, batch] · X[batch, in]
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
                    Int32(outputs), Int32(inputs), Int32(batch),
                    1, outputGradient, Int32(outputs), input, Int32(inputs),
                    accumulate ? 1 : 0, weight.gradient.baseAddress, Int32(inputs))
        // db[out] (+)= column sums of dY
        let db = bias.gradient.baseAddress!
        if !accumulate { db.update(repeating: 0, count: outputs) }
        for row in 0..<batch {
            let g = outputGradient + row * outputs
            for j in 0..<outputs { db[j] += g[j] }
        }
        guard needInputGradient else { return nil }
        // dX[batch, in] = dY[batch, out] · W[out, in]
        inputGradient.resize(batch * inputs)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                    Int32(batch), Int32(inputs), Int32(outputs),
                    1, outputGradient, Int32(outputs), weight.value.baseAddress, Int32(inputs),
                    0, inputGradient.pointer, Int32(inputs))
        return inputGradient.pointer
    }
}
