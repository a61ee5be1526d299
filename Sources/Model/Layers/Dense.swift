// Dense: a fully connected layer y = x·Wᵀ + b with the bias fused into the matrix product.
// Weight layout [outputs, inputs] (PyTorch's nn.Linear), so checkpoints load there unchanged.

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
        linearForward(input, rows: batch, inputs: inputs, outputs: outputs, weight: weight, bias: bias, into: output.pointer)
        return output.pointer
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        if needInputGradient { inputGradient.resize(batch * inputs) }
        linearBackward(outputGradient, input: input, rows: batch, inputs: inputs, outputs: outputs,
                       weight: weight, bias: bias, accumulate: accumulate,
                       inputGradient: needInputGradient ? inputGradient.pointer : nil)
        return needInputGradient ? inputGradient.pointer : nil
    }
}
