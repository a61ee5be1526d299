// Dropout: zeroes each element with probability p during training and scales the rest by 1/(1-p).
// The mask is a pure function of (seed, step, rank, micro-step, layer), so resume replays it.

/// Inverted dropout; the identity at evaluation time.
public final class Dropout: Layer {
    public let name: String
    /// Probability of dropping an element, in [0, 1).
    public let probability: Float
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }
    /// Distinguishes this layer's masks from other dropout layers' at the same step.
    public let streamID: UInt64

    private let output = FloatBuffer()
    private let mask = FloatBuffer()
    private let inputGradient = FloatBuffer()
    private var wasTraining = false

    public init(name: String, probability: Float, shape: [Int], streamID: UInt64) {
        precondition(probability >= 0 && probability < 1, "dropout probability must be in [0, 1)")
        self.name = name
        self.probability = probability
        self.inputShape = shape
        self.streamID = streamID
    }

    /// The output; training adds the mask and the input gradient.
    public func activationFloats(batch: Int, training: Bool) -> Double {
        Double(batch) * Double(elementCount(outputShape)) * (training ? 3 : 1)
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let n = batch * elementCount(inputShape)
        output.resize(n)
        wasTraining = context.training && probability > 0
        guard wasTraining else {
            output.pointer.update(from: input, count: n)
            return output.pointer
        }
        mask.resize(n)
        let rng = CounterRNG(seed: context.seed, stream: .dropout, context.step, context.rank,
                             context.microStep, streamID)
        let keep = 1 / (1 - probability)
        let threshold = UInt64(Double(probability) * 16_777_216.0)
        let m = mask.pointer, y = output.pointer
        for i in 0..<n {
            let kept = (rng.value(at: UInt64(i)) >> 40) >= threshold
            m[i] = kept ? keep : 0
            y[i] = input[i] * m[i]
        }
        return y
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        let n = batch * elementCount(inputShape)
        inputGradient.resize(n)
        let dx = inputGradient.pointer
        if wasTraining {
            let m = mask.pointer
            for i in 0..<n { dx[i] = outputGradient[i] * m[i] }
        } else {
            dx.update(from: outputGradient, count: n)
        }
        return dx
    }
}
