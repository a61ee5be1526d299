// LayerTypes: every layer kind a config may declare, each once — type name, options with ranges,
// defaults and hints, builder. The Swift shorthands for them are in LayerSpecShorthands.swift.

extension LayerType {
    /// Every declared kind, in the order error hints list them.
    public static let all: [LayerType] = [dense, conv2d, maxPool, avgPool, globalAvgPool, flatten, dropout, activation, layerNorm,
                                          batchNorm, residual, embedding, positionEmbedding, attention, transformerBlock, rmsNorm]

    private static let activationNames = ActivationKind.allCases.map(\.rawValue)

    /// Fully connected over the last axis; `init` absent picks He before a ReLU-family activation,
    /// Xavier otherwise. With `tied_to: EMBEDDING` it is bias-free and uses that embedding's table.
    public static let dense = LayerType("dense", options: [
        LayerOption("units", .int(1...1_048_576), required: true, hint: "output width, e.g. units: 256"),
        LayerOption("init", .choice(["he", "xavier", "normal"])),
        LayerOption("tied_to", .text, excludes: .init(["units", "init"], because: "a tied layer takes its weight (and width) from the embedding",
                                                      otherwise: "for a dense layer of its own")),
    ], builds: [Dense.self, TiedOutput.self]) { options, site, builder in
        if let target = try options.text(ifGiven: "tied_to", at: site) { return try tiedOutput(target, site: site, builder: &builder) }
        var preferred = WeightInit.xavier   // He before a ReLU-family activation
        if let next = site.next, next.kind.type == LayerType.activation,
           let f = next.kind.options.text("function").flatMap(ActivationKind.init) { preferred = f.preferredInit }
        return Dense(name: site.name, inputShape: site.shape, outputs: try options.int("units", at: site),
                     weightInit: try options.choice(ifGiven: "init", at: site) ?? preferred)
    }

    /// The output layer tied to the embedding `target` declared before it.
    private static func tiedOutput(_ target: String, site: LayerSite, builder: inout LayerBuilder) throws -> Layer {
        let (at, path, shape) = (site.at, site.path, site.shape)
        guard path.components(separatedBy: ".layers[").count == 2 else {   // model.layers[i] only
            throw ModelError(description: "\(at): a layer tied to an embedding must be in the top-level list, not inside a block")
        }
        guard let embedding = builder.embeddings[target] else {
            let known = builder.embeddings.keys.sorted()
            throw ModelError(description: "\(path).tied_to: '\(target)' names no embedding layer before it; "
                             + (known.isEmpty ? "declare {type: embedding, name: \(target), ...} as the first layer"
                                              : "embedding layers: " + known.joined(separator: ", ")))
        }
        guard shape.last == embedding.dim else {
            throw ModelError(description: "\(at): tied to \(target) [\(embedding.vocab), \(embedding.dim)], so its input must end in width "
                             + "\(embedding.dim), got \(shape)")
        }
        if let first = builder.tiedEmbeddings[target] {
            throw ModelError(description: "\(path).tied_to: '\(target)' is already tied to \(first); an embedding takes one tied "
                             + "output layer (give this one its own weights: {type: dense, units: \(embedding.vocab)})")
        }
        builder.tiedEmbeddings[target] = path
        return TiedOutput(name: site.name, embeddingName: target, inputShape: shape, vocab: embedding.vocab)
    }

    /// 2-D convolution over `[height, width, channels]`.
    public static let conv2d = LayerType("conv2d", options: [
        LayerOption("channels", .int(1...65_536), required: true, hint: "output channels, e.g. channels: 32"),
        LayerOption("kernel", .int(1...31), required: true, hint: "kernel size, e.g. kernel: 3"),
        LayerOption("stride", .int(1...31), default: .int(1)),
        LayerOption("padding", .int(0...31), default: .int(0)),
    ], builds: [Conv2D.self]) { options, site, _ in
        let input = try site.image()
        let (kernel, padding) = (try options.int("kernel", at: site), try options.int("padding", at: site))
        guard input[0] + 2 * padding >= kernel, input[1] + 2 * padding >= kernel else {
            throw ModelError(description: "\(site.at): a \(kernel)×\(kernel) kernel does not fit the \(input[0])×\(input[1]) input with padding \(padding)")
        }
        return Conv2D(name: site.name, inputShape: input, outChannels: try options.int("channels", at: site), kernel: kernel,
                      stride: try options.int("stride", at: site), padding: padding)
    }

    /// The options of both pooling kinds: `stride` absent means the window size.
    private static let poolOptions = [LayerOption("window", .int(1...64), default: .int(2), hint: "window size, e.g. window: 2"),
                                      LayerOption("stride", .int(1...64))]

    /// The pooling window of a declared pool layer, checked against its input.
    private static func poolWindow(_ options: LayerOptions, _ site: LayerSite) throws -> (input: [Int], window: Int, stride: Int?) {
        let input = try site.image(), window = try options.int("window", at: site)
        guard input[0] >= window, input[1] >= window else {
            throw ModelError(description: "\(site.at): a \(window)×\(window) window does not fit the \(input[0])×\(input[1]) input")
        }
        return (input, window, try options.int(ifGiven: "stride", at: site))
    }

    /// Max pooling.
    public static let maxPool = LayerType("max_pool", options: poolOptions, builds: [MaxPool2D.self]) { options, site, _ in
        let pool = try poolWindow(options, site)
        return MaxPool2D(name: site.name, inputShape: pool.input, window: pool.window, stride: pool.stride)
    }

    /// Average pooling.
    public static let avgPool = LayerType("avg_pool", options: poolOptions, builds: [AvgPool2D.self]) { options, site, _ in
        let pool = try poolWindow(options, site)
        return AvgPool2D(name: site.name, inputShape: pool.input, window: pool.window, stride: pool.stride)
    }

    /// The mean of each channel over the image.
    public static let globalAvgPool = LayerType("global_avg_pool", builds: [GlobalAvgPool.self]) { _, site, _ in
        GlobalAvgPool(name: site.name, inputShape: try site.image())
    }

    /// All axes of a sample into one.
    public static let flatten = LayerType("flatten", builds: [Flatten.self]) { _, site, _ in
        Flatten(name: site.name, shape: site.shape)
    }

    /// Inverted dropout with drop probability `rate`.
    public static let dropout = LayerType("dropout", options: [
        LayerOption("rate", .double(0...0.95), required: true, missingHint: "drop probability, e.g. rate: 0.1"),
    ], builds: [Dropout.self]) { options, site, builder in
        defer { builder.dropoutStreams += 1 }
        return Dropout(name: site.name, probability: Float(try options.double("rate", at: site)), shape: site.shape, streamID: builder.dropoutStreams)
    }

    /// An element-wise function.
    public static let activation = LayerType("activation", options: [
        LayerOption("function", .choice(activationNames), required: true, missingHint: "e.g. function: relu"),
    ], builds: [Activation.self]) { options, site, _ in
        Activation(name: site.name, kind: try options.choice("function", at: site), shape: site.shape)
    }

    /// Layer normalisation over the last axis (its epsilon is fixed at 1e-5: no `eps` option).
    public static let layerNorm = LayerType("layer_norm", builds: [LayerNorm.self]) { _, site, _ in
        LayerNorm(name: site.name, inputShape: site.shape)
    }

    /// Batch normalisation over the last (channel) axis, statistics synchronised across ranks;
    /// `momentum` (PyTorch's default 0.1) weighs each batch in the running statistics, `eps`
    /// (default 1e-5) is added to the variance.
    public static let batchNorm = LayerType("batch_norm", options: [
        LayerOption("momentum", .interval(0...1, openBelow: false), default: .double(0.1),
                    hint: "the weight of each new batch in the running statistics (default 0.1, as PyTorch)"),
        epsOption(hint: "added to the variance before the square root (default 1e-5)"),
    ], builds: [BatchNorm.self]) { options, site, _ in
        BatchNorm(name: site.name, inputShape: site.shape, momentum: Float(try options.double("momentum", at: site)),
                  epsilon: try epsilon(options, site))
    }

    /// A nested chain whose output is added to its input.
    public static let residual = LayerType("residual", options: [
        LayerOption("layers", .layers, required: true, missingHint: "the nested layers whose output is added to the input"),
    ], builds: [Residual.self]) { options, site, builder in
        let inner = try options.layers("layers", at: site)
        guard !inner.isEmpty else { throw ModelError(description: "\(site.at): a residual block needs at least one layer") }
        let layers = try builder.build(inner, inputShape: site.shape, prefix: site.name + ".", path: site.path + ".layers")
        let out = layers[layers.count - 1].outputShape
        guard out == site.shape else {
            throw ModelError(description: "\(site.at): its layers turn \(site.shape) into \(out); a residual block must end in the shape it starts with")
        }
        return Residual(name: site.name, layers: layers)
    }

    /// Token ids `[positions]` to learned vectors `[positions, dim]`; first layer only.
    public static let embedding = LayerType("embedding", options: [
        LayerOption("vocab", .int(1...1_048_576), required: true, hint: "number of token ids, e.g. vocab: 256"),
        LayerOption("dim", .int(1...65_536), required: true, hint: "vector width, e.g. dim: 128"),
    ], builds: [Embedding.self]) { options, site, builder in
        guard site.path == "model.layers[0]" else {
            throw ModelError(description: "\(site.at): an embedding takes token ids, so it must be the first layer")
        }
        guard site.shape.count == 1 else {
            throw ModelError(description: "\(site.at): needs samples of token ids [positions], got \(site.shape) (text data, or 1-D arrays of ids)")
        }
        let embedding = Embedding(name: site.name, vocab: try options.int("vocab", at: site), dim: try options.int("dim", at: site), positions: site.shape[0])
        builder.embeddings[site.name] = embedding
        return embedding
    }

    /// A learned vector added at each position of `[positions, dim]`.
    public static let positionEmbedding = LayerType("position_embedding", builds: [PositionEmbedding.self]) { _, site, _ in
        PositionEmbedding(name: site.name, inputShape: try site.sequence())
    }

    /// The width of `[positions, dim]` input, checked to split into `heads` heads.
    private static func headWidth(_ options: LayerOptions, _ site: LayerSite) throws -> (positions: Int, dim: Int, heads: Int) {
        let shape = try site.sequence(), heads = try options.int("heads", at: site)
        guard shape[1] % heads == 0 else {
            throw ModelError(description: "\(site.path).heads: \(heads) does not divide the width \(shape[1]) of its input")
        }
        return (shape[0], shape[1], heads)
    }

    /// Multi-head self-attention over `[positions, dim]`, causal by default.
    public static let attention = LayerType("attention", options: [
        LayerOption("heads", .int(1...1024), required: true, hint: "number of heads, e.g. heads: 4"),
        LayerOption("causal", .bool, default: .bool(true)),
    ], builds: [CausalSelfAttention.self]) { options, site, _ in
        let s = try headWidth(options, site)
        return CausalSelfAttention(name: site.name, positions: s.positions, dim: s.dim, heads: s.heads, causal: try options.bool("causal", at: site))
    }

    /// Pre-LayerNorm attention + MLP of width `mlp`, each residual (GPT-2's block); `norm: rms_norm`
    /// makes its two norms RMS norms.
    public static let transformerBlock = LayerType("transformer_block", options: [
        LayerOption("heads", .int(1...1024), required: true, hint: "number of heads, e.g. heads: 4"),
        LayerOption("mlp", .int(1...1_048_576), required: true, hint: "MLP width, e.g. mlp: 512"),
        LayerOption("causal", .bool, default: .bool(true)),
        LayerOption("activation", .choice(activationNames), default: .text(ActivationKind.gelu_tanh.rawValue)),
        LayerOption("norm", .choice([layerNorm.name, rmsNorm.name]), default: .text(layerNorm.name), omitsDefault: true),
    ], builds: [TransformerBlock.self]) { options, site, _ in
        let s = try headWidth(options, site)
        let norm = try options.text("norm", at: site)
        guard norm == layerNorm.name || norm == rmsNorm.name else {
            throw ModelError(description: "\(site.at): option 'norm' has no value '\(norm)'")
        }
        return TransformerBlock(name: site.name, positions: s.positions, dim: s.dim, heads: s.heads, mlp: try options.int("mlp", at: site),
                                causal: try options.bool("causal", at: site), activation: try options.choice("activation", at: site),
                                rmsNorm: norm == rmsNorm.name)
    }

    /// Root-mean-square normalisation over the last axis, weight only (LLaMA's RMSNorm); `eps`
    /// (default 1e-5) is added to the mean square.
    public static let rmsNorm = LayerType("rms_norm", options: [
        epsOption(hint: "added to the mean square before the square root (default 1e-5)"),
    ], builds: [RMSNorm.self]) { options, site, _ in
        RMSNorm(name: site.name, inputShape: site.shape, epsilon: try epsilon(options, site))
    }

    /// The `eps` option of a norm (default 1e-5). Its floor 1e-30 keeps it a normal Float: a
    /// smaller value rounds to 0 or a subnormal, and an all-zero row would divide by about 0.
    private static func epsOption(hint: String) -> LayerOption {
        LayerOption("eps", .interval(epsRange, openBelow: false), default: .double(1e-5), hint: hint)
    }

    /// What a norm's `eps` may be: 1e-30 and above is a normal Float.
    private static let epsRange = 1e-30...1.0

    /// A norm's `eps` as the Float it computes with; an error when that is not a positive normal
    /// number (a kind made in Swift skips the parser's range check).
    private static func epsilon(_ options: LayerOptions, _ site: LayerSite) throws -> Float {
        let eps = try options.double("eps", at: site)
        guard epsRange.contains(eps) else {
            throw ModelError(description: "\(site.at): eps \(eps) must be in [1e-30, 1] (a positive normal Float)")
        }
        return Float(eps)
    }
}
