// TransformerBlock: GPT-2's pre-LayerNorm block over [positions, dim] samples —
// x + attention(ln1(x)), then h + out(act(fc(ln2(h)))) — with GPT-2's parameter names.

/// A pre-LayerNorm transformer block. Its tensors are named `<name>.ln1`, `.qkv`, `.proj`,
/// `.ln2`, `.fc` (`[mlp, dim]`) and `.out` (`[dim, mlp]`), each with `weight` and `bias`;
/// weight matrices start N(0, 0.02²), biases 0, layer norms at weight 1. With `rmsNorm`, `ln1`
/// and `ln2` are RMS norms (weight only), as in LLaMA.
public final class TransformerBlock: Layer {
    public let name: String
    public var inputShape: [Int] { attention.inputShape }
    public var outputShape: [Int] { inputShape }
    private let attention: Residual
    private let feedForward: Residual

    /// A block of `heads` heads and an MLP of width `mlp` over `[positions, dim]` samples;
    /// `activation` defaults to the tanh form of GELU, as in GPT-2; `rmsNorm` (default false)
    /// normalises with RMSNorm instead of LayerNorm.
    public init(name: String, positions: Int, dim: Int, heads: Int, mlp: Int, causal: Bool = true,
                activation: ActivationKind = .gelu_tanh, rmsNorm: Bool = false) {
        self.name = name
        let shape = [positions, dim]
        func norm(_ suffix: String) -> Layer {
            rmsNorm ? RMSNorm(name: name + suffix, inputShape: shape) : LayerNorm(name: name + suffix, inputShape: shape)
        }
        attention = Residual(name: name, layers: [
            norm(".ln1"),
            CausalSelfAttention(name: name, positions: positions, dim: dim, heads: heads, causal: causal),
        ])
        feedForward = Residual(name: name, layers: [
            norm(".ln2"),
            Dense(name: name + ".fc", inputShape: shape, outputs: mlp, weightInit: .normal),
            Activation(name: name + ".act", kind: activation, shape: [positions, mlp]),
            Dense(name: name + ".out", inputShape: [positions, mlp], outputs: dim, weightInit: .normal),
        ])
    }

    public var parameterRequests: [ParameterRequest] { attention.parameterRequests + feedForward.parameterRequests }

    public func bind(_ views: [ParameterView]) {
        let split = attention.parameterRequests.count
        attention.bind(Array(views[..<split]))
        feedForward.bind(Array(views[split...]))
    }

    public func matrixProducts(batch: Int, needInputGradient: Bool) -> [MatrixProduct] {
        attention.matrixProducts(batch: batch, needInputGradient: true) + feedForward.matrixProducts(batch: batch, needInputGradient: true)
    }

    /// The buffers of its two residual halves.
    public func activationFloats(batch: Int, training: Bool) -> Double {
        attention.activationFloats(batch: batch, training: training) + feedForward.activationFloats(batch: batch, training: training)
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let h = attention.forward(input, batch: batch, context: context)
        return feedForward.forward(UnsafePointer(h), batch: batch, context: context)
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        let dh = feedForward.backward(outputGradient, batch: batch, accumulate: accumulate, needInputGradient: true)!
        return attention.backward(UnsafePointer(dh), batch: batch, accumulate: accumulate, needInputGradient: needInputGradient)
    }
}
