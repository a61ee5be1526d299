// Initializer: how parameter tensors get their first values (He, Xavier/Glorot, constants).
// Draws come from the counter RNG keyed by the run seed and the tensor's index: reproducible.

/// An initialisation rule for a parameter tensor.
public enum Initializer: Sendable, Equatable {
    /// He (Kaiming) normal: N(0, 2 / fanIn). The default for ReLU-family layers.
    case he(fanIn: Int)
    /// Xavier (Glorot) uniform: U(±sqrt(6 / (fanIn + fanOut))). For tanh / sigmoid layers.
    case xavier(fanIn: Int, fanOut: Int)
    /// Every element set to a value (0 for biases).
    case constant(Float)
    /// N(0, std²), e.g. GPT-2's 0.02 for embeddings and weight matrices.
    case normal(std: Float)

    /// Fills `values` with draws from `rng`.
    public func fill(_ values: UnsafeMutableBufferPointer<Float>, rng: inout CounterRNG) {
        switch self {
        case .he(let fanIn):
            let std = (2.0 / Double(max(fanIn, 1))).squareRoot()
            for i in values.indices { values[i] = Float(rng.nextNormal() * std) }
        case .xavier(let fanIn, let fanOut):
            let limit = Float((6.0 / Double(max(fanIn + fanOut, 1))).squareRoot())
            for i in values.indices { values[i] = (rng.nextUniform() * 2 - 1) * limit }
        case .constant(let value):
            values.update(repeating: value)
        case .normal(let std):
            for i in values.indices { values[i] = Float(rng.nextNormal()) * std }
        }
    }
}
