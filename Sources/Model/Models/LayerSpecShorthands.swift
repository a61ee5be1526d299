// LayerSpecShorthands: declared layers written in Swift (`.dense(units: 10, init: nil)`), each
// the kind of `LayerTypes` with the options a config would give it.

extension LayerSpec.Kind {
    /// A dense layer `units` wide; `rule` nil picks He before a ReLU-family activation, else Xavier.
    public static func dense(units: Int, init rule: WeightInit?) -> Self {
        var options = LayerOptions(["units": .int(units)])
        options["init"] = rule.map { .text($0.rawValue) }
        return Self(.dense, options)
    }

    /// A bias-free dense layer on the table of the embedding named `embedding`.
    public static func tiedDense(embedding: String) -> Self { Self(.dense, LayerOptions(["tied_to": .text(embedding)])) }

    /// A convolution to `channels` channels with a `kernel`×`kernel` window.
    public static func conv2d(channels: Int, kernel: Int, stride: Int, padding: Int) -> Self {
        Self(.conv2d, LayerOptions(["channels": .int(channels), "kernel": .int(kernel), "stride": .int(stride), "padding": .int(padding)]))
    }

    /// Max pooling over `window`×`window`; `stride` nil means the window size.
    public static func maxPool(window: Int, stride: Int?) -> Self { Self(.maxPool, poolOptions(window, stride)) }

    /// Average pooling over `window`×`window`; `stride` nil means the window size.
    public static func avgPool(window: Int, stride: Int?) -> Self { Self(.avgPool, poolOptions(window, stride)) }

    private static func poolOptions(_ window: Int, _ stride: Int?) -> LayerOptions {
        var options = LayerOptions(["window": .int(window)])
        options["stride"] = stride.map { .int($0) }
        return options
    }

    /// The mean of each channel over the image.
    public static var globalAvgPool: Self { Self(.globalAvgPool) }

    /// All axes of a sample into one.
    public static var flatten: Self { Self(.flatten) }

    /// Inverted dropout with drop probability `rate`.
    public static func dropout(rate: Double) -> Self { Self(.dropout, LayerOptions(["rate": .double(rate)])) }

    /// The element-wise `function`.
    public static func activation(_ function: ActivationKind) -> Self { Self(.activation, LayerOptions(["function": .text(function.rawValue)])) }

    /// Layer normalisation over the last axis.
    public static var layerNorm: Self { Self(.layerNorm) }

    /// Batch normalisation with running-statistics weight `momentum`, `eps` added to the variance.
    public static func batchNorm(momentum: Double, eps: Double) -> Self {
        Self(.batchNorm, LayerOptions(["momentum": .double(momentum), "eps": .double(eps)]))
    }

    /// `layers` whose output is added to their input.
    public static func residual(_ layers: [LayerSpec]) -> Self { Self(.residual, LayerOptions(["layers": .layers(layers)])) }

    /// Token ids below `vocab` to vectors `dim` wide; first layer only.
    public static func embedding(vocab: Int, dim: Int) -> Self { Self(.embedding, LayerOptions(["vocab": .int(vocab), "dim": .int(dim)])) }

    /// A learned vector added at each position.
    public static var positionEmbedding: Self { Self(.positionEmbedding) }

    /// Self-attention with `heads` heads, each position seeing only those before it when `causal`.
    public static func attention(heads: Int, causal: Bool) -> Self {
        Self(.attention, LayerOptions(["heads": .int(heads), "causal": .bool(causal)]))
    }

    /// A pre-norm transformer block; `rmsNorm` false: LayerNorm, as GPT-2.
    public static func transformerBlock(heads: Int, mlp: Int, causal: Bool, activation: ActivationKind, rmsNorm: Bool = false) -> Self {
        Self(.transformerBlock, LayerOptions(["heads": .int(heads), "mlp": .int(mlp), "causal": .bool(causal),
                                              "activation": .text(activation.rawValue),
                                              "norm": .text(rmsNorm ? LayerType.rmsNorm.name : LayerType.layerNorm.name)]))
    }

    /// RMS normalisation with `eps` added to the mean square.
    public static func rmsNorm(eps: Double = 1e-5) -> Self { Self(.rmsNorm, LayerOptions(["eps": .double(eps)])) }
}
