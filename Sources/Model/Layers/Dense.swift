// Dense: a fully connected layer y = x·Wᵀ + b with the bias fused into the matrix product.
// Weight layout [outputs, inputs] (PyTorch's nn.Linear), so checkpoints load there unchanged.

/// Which random initialisation a weight matrix uses.
public enum WeightInit: String, Sendable {
    /// He normal, for ReLU-family activations.
    case he
    /// Xavier uniform, for tanh, sigmoid and output layers.
    case xavier
    /// N(0, 0.02²), GPT-2's initialisation of its weight matrices.
    case normal
}

/// Fully connected layer over the last axis. Input `[batch, ..., inputs]`, output
/// `[batch, ..., outputs]`: every position of a sequence (`[positions, inputs]` samples) goes
/// through the same weights.
public final class Dense: Layer {
    public let name: String
    public let inputs: Int
    public let outputs: Int
    public let weightInit: WeightInit
    /// Positions per sample (the product of the axes before the last; 1 for flat samples).
    public let positions: Int
    public var inputShape: [Int] { leading + [inputs] }
    public var outputShape: [Int] { leading + [outputs] }
    private let leading: [Int]

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
        self.leading = []
        self.positions = 1
    }

    /// A layer applied at every position of `inputShape` (`[..., inputs]`).
    public init(name: String, inputShape: [Int], outputs: Int, weightInit: WeightInit = .he) {
        precondition(!inputShape.isEmpty, "Dense needs an input axis")
        self.name = name
        self.inputs = inputShape[inputShape.count - 1]
        self.outputs = outputs
        self.weightInit = weightInit
        self.leading = Array(inputShape.dropLast())
        self.positions = elementCount(leading)
    }

    public var parameterRequests: [ParameterRequest] {
        let w: Initializer = switch weightInit {
        case .he: .he(fanIn: inputs)
        case .xavier: .xavier(fanIn: inputs, fanOut: outputs)
        case .normal: .normal(std: 0.02)
        }
        return [ParameterRequest("weight", shape: [outputs, inputs], initializer: w),
                ParameterRequest("bias", shape: [outputs], initializer: .constant(0))]
    }

    public func bind(_ views: [ParameterView]) {
        weight = views[0]
        bias = views[1]
    }

    public func matrixProducts(batch: Int, needInputGradient: Bool) -> [MatrixProduct] {
        let rows = batch * positions
        return [MatrixProduct(m: rows, n: outputs, k: inputs, transposeA: false, transposeB: true),
                MatrixProduct(m: outputs, n: inputs, k: rows, transposeA: true, transposeB: false)]
            + (needInputGradient ? [MatrixProduct(m: rows, n: inputs, k: outputs, transposeA: false, transposeB: false)] : [])
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        self.input = input
        let rows = batch * positions
        output.resize(rows * outputs)
        linearForward(input, rows: rows, inputs: inputs, outputs: outputs, weight: weight, bias: bias, into: output.pointer)
        return output.pointer
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        let batch = batch * positions
        if needInputGradient { inputGradient.resize(batch * inputs) }
        linearBackward(outputGradient, input: input, rows: batch, inputs: inputs, outputs: outputs,
                       weight: weight, bias: bias, accumulate: accumulate,
                       inputGradient: needInputGradient ? inputGradient.pointer : nil)
        return needInputGradient ? inputGradient.pointer : nil
    }
}
