// LayerSpec: one layer of a model declared in the config (`model.layers[i]`), and the builder
// that infers every layer's shapes from the data and names its parameters.

/// One declared layer: its kind with options, and an optional name for its parameters.
public struct LayerSpec: Sendable, Equatable {
    /// What the layer computes.
    public indirect enum Kind: Sendable, Equatable {
        /// Fully connected over the last axis; `init` nil picks He before a ReLU-family
        /// activation, Xavier otherwise.
        case dense(units: Int, init: WeightInit?)
        /// A bias-free dense layer whose weight is the table of the embedding layer named here
        /// (`{type: dense, tied_to: wte}`): `[..., dim]` → `[..., vocab]` logits.
        case tiedDense(embedding: String)
        /// 2-D convolution over `[height, width, channels]`.
        case conv2d(channels: Int, kernel: Int, stride: Int, padding: Int)
        /// Max pooling; `stride` nil means the window size.
        case maxPool(window: Int, stride: Int?)
        /// Average pooling; `stride` nil means the window size.
        case avgPool(window: Int, stride: Int?)
        /// The mean of each channel over the image.
        case globalAvgPool
        /// All axes of a sample into one.
        case flatten
        /// Inverted dropout with this drop probability.
        case dropout(rate: Double)
        /// An element-wise function.
        case activation(ActivationKind)
        /// Layer normalisation over the last axis.
        case layerNorm
        /// Batch normalisation over the last (channel) axis, statistics synchronised across
        /// ranks; `momentum` (PyTorch's default 0.1) weighs each batch in the running statistics,
        /// `eps` (default 1e-5) is added to the variance.
        case batchNorm(momentum: Double, eps: Double)
        /// A nested chain whose output is added to its input.
        case residual([LayerSpec])
        /// Token ids `[positions]` to learned vectors `[positions, dim]`; first layer only.
        case embedding(vocab: Int, dim: Int)
        /// A learned vector added at each position of `[positions, dim]`.
        case positionEmbedding
        /// Multi-head self-attention over `[positions, dim]`, causal by default.
        case attention(heads: Int, causal: Bool)
        /// Pre-LayerNorm attention + MLP of width `mlp`, each residual (GPT-2's block).
        case transformerBlock(heads: Int, mlp: Int, causal: Bool, activation: ActivationKind)
    }

    public var kind: Kind
    /// Names the layer's parameters in checkpoints (`<name>.weight`); nil: `<type>_<index>`.
    public var name: String?

    public init(_ kind: Kind, name: String? = nil) {
        self.kind = kind
        self.name = name
    }

    /// The `type:` a config writes for this kind.
    public var typeName: String {
        switch kind {
        case .dense, .tiedDense: return "dense"
        case .conv2d: return "conv2d"
        case .maxPool: return "max_pool"
        case .avgPool: return "avg_pool"
        case .globalAvgPool: return "global_avg_pool"
        case .flatten: return "flatten"
        case .dropout: return "dropout"
        case .activation: return "activation"
        case .layerNorm: return "layer_norm"
        case .batchNorm: return "batch_norm"
        case .residual: return "residual"
        case .embedding: return "embedding"
        case .positionEmbedding: return "position_embedding"
        case .attention: return "attention"
        case .transformerBlock: return "transformer_block"
        }
    }

    /// Every `type:` a config may write.
    public static let typeNames = ["dense", "conv2d", "max_pool", "avg_pool", "global_avg_pool", "flatten", "dropout",
                                   "activation", "layer_norm", "batch_norm", "residual", "embedding", "position_embedding", "attention",
                                   "transformer_block"]
}

/// Builds declared layers, inferring shapes; mistakes are `ModelError`s naming the layer by its
/// key path (`model.layers[3]`), kind and the shape it was given.
struct LayerBuilder {
    /// Dropout layers get distinct mask streams, in build order.
    private var dropoutStreams: UInt64 = 0
    /// Embedding layers built so far, by name (what `tied_to` may name).
    private var embeddings: [String: Embedding] = [:]
    /// Embeddings an output layer is tied to already, with that layer's key path: one tie each,
    /// since the tied layer's backward writes the embedding's gradient before the embedding adds.
    private var tiedEmbeddings: [String: String] = [:]

    /// The layers of `specs`, the first taking `inputShape`; names are `prefix` + the layer's
    /// name; `path` is the config key path of the list (`model.layers`).
    mutating func build(_ specs: [LayerSpec], inputShape: [Int], prefix: String, path: String) throws -> [Layer] {
        var layers: [Layer] = []
        var shape = inputShape
        for (index, spec) in specs.enumerated() {
            let name = prefix + (spec.name ?? "\(spec.typeName)_\(index)")
            let at = "\(path)[\(index)] (\(spec.typeName))"
            let next = specs.dropFirst(index + 1).first
            let layer = try make(spec, name: name, shape: shape, at: at, path: "\(path)[\(index)]", next: next)
            layers.append(layer)
            shape = layer.outputShape
        }
        return layers
    }

    private mutating func make(_ spec: LayerSpec, name: String, shape: [Int], at: String, path: String,
                               next: LayerSpec?) throws -> Layer {
        func image() throws -> [Int] {
            guard shape.count == 3 else {
                throw ModelError(description: "\(at): needs image input [height, width, channels], got \(shape)")
            }
            return shape
        }
        switch spec.kind {
        case .dense(let units, let initRule):
            let reluNext: Bool
            if case .activation(let f)? = next?.kind { reluNext = f.preferredInit == .he } else { reluNext = false }
            return Dense(name: name, inputShape: shape, outputs: units, weightInit: initRule ?? (reluNext ? .he : .xavier))
        case .tiedDense(let target):
            guard path.components(separatedBy: ".layers[").count == 2 else {   // model.layers[i] only
                throw ModelError(description: "\(at): a layer tied to an embedding must be in the top-level list, not inside a block")
            }
            guard let embedding = embeddings[target] else {
                let known = embeddings.keys.sorted()
                throw ModelError(description: "\(path).tied_to: '\(target)' names no embedding layer before it; "
                                 + (known.isEmpty ? "declare {type: embedding, name: \(target), ...} as the first layer"
                                                  : "embedding layers: " + known.joined(separator: ", ")))
            }
            guard shape.last == embedding.dim else {
                throw ModelError(description: "\(at): tied to \(target) [\(embedding.vocab), \(embedding.dim)], so its input must end in width "
                                 + "\(embedding.dim), got \(shape)")
            }
            if let first = tiedEmbeddings[target] {
                throw ModelError(description: "\(path).tied_to: '\(target)' is already tied to \(first); an embedding takes one tied "
                                 + "output layer (give this one its own weights: {type: dense, units: \(embedding.vocab)})")
            }
            tiedEmbeddings[target] = path
            return TiedOutput(name: name, embeddingName: target, inputShape: shape, vocab: embedding.vocab)
        case .conv2d(let channels, let kernel, let stride, let padding):
            let input = try image()
            guard input[0] + 2 * padding >= kernel, input[1] + 2 * padding >= kernel else {
                throw ModelError(description: "\(at): a \(kernel)×\(kernel) kernel does not fit the \(input[0])×\(input[1]) input with padding \(padding)")
            }
            return Conv2D(name: name, inputShape: input, outChannels: channels, kernel: kernel, stride: stride, padding: padding)
        case .maxPool(let window, let stride), .avgPool(let window, let stride):
            let input = try image()
            guard input[0] >= window, input[1] >= window else {
                throw ModelError(description: "\(at): a \(window)×\(window) window does not fit the \(input[0])×\(input[1]) input")
            }
            if case .maxPool = spec.kind { return MaxPool2D(name: name, inputShape: input, window: window, stride: stride) }
            return AvgPool2D(name: name, inputShape: input, window: window, stride: stride)
        case .globalAvgPool:
            return GlobalAvgPool(name: name, inputShape: try image())
        case .flatten:
            return Flatten(name: name, shape: shape)
        case .dropout(let rate):
            defer { dropoutStreams += 1 }
            return Dropout(name: name, probability: Float(rate), shape: shape, streamID: dropoutStreams)
        case .activation(let function):
            return Activation(name: name, kind: function, shape: shape)
        case .layerNorm:
            return LayerNorm(name: name, inputShape: shape)
        case .batchNorm(let momentum, let eps):
            return BatchNorm(name: name, inputShape: shape, momentum: Float(momentum), epsilon: Float(eps))
        case .embedding(let vocab, let dim):
            guard path == "model.layers[0]" else {
                throw ModelError(description: "\(at): an embedding takes token ids, so it must be the first layer")
            }
            guard shape.count == 1 else {
                throw ModelError(description: "\(at): needs samples of token ids [positions], got \(shape) (text data, or 1-D arrays of ids)")
            }
            let embedding = Embedding(name: name, vocab: vocab, dim: dim, positions: shape[0])
            embeddings[name] = embedding
            return embedding
        case .positionEmbedding:
            guard shape.count == 2 else { throw ModelError(description: "\(at): needs [positions, dim] input, got \(shape)") }
            return PositionEmbedding(name: name, inputShape: shape)
        case .attention(let heads, let causal):
            guard shape.count == 2 else { throw ModelError(description: "\(at): needs [positions, dim] input, got \(shape)") }
            guard shape[1] % heads == 0 else {
                throw ModelError(description: "\(path).heads: \(heads) does not divide the width \(shape[1]) of its input")
            }
            return CausalSelfAttention(name: name, positions: shape[0], dim: shape[1], heads: heads, causal: causal)
        case .transformerBlock(let heads, let mlp, let causal, let activation):
            guard shape.count == 2 else { throw ModelError(description: "\(at): needs [positions, dim] input, got \(shape)") }
            guard shape[1] % heads == 0 else {
                throw ModelError(description: "\(path).heads: \(heads) does not divide the width \(shape[1]) of its input")
            }
            return TransformerBlock(name: name, positions: shape[0], dim: shape[1], heads: heads, mlp: mlp, causal: causal,
                                    activation: activation)
        case .residual(let inner):
            guard !inner.isEmpty else { throw ModelError(description: "\(at): a residual block needs at least one layer") }
            let layers = try build(inner, inputShape: shape, prefix: name + ".", path: path + ".layers")
            let out = layers[layers.count - 1].outputShape
            guard out == shape else {
                throw ModelError(description: "\(at): its layers turn \(shape) into \(out); a residual block must end in the shape it starts with")
            }
            return Residual(name: name, layers: layers)
        }
    }
}
