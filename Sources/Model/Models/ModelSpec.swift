// ModelSpec: the model section of a job — layers declared one by one, or the shorthands logistic,
// mlp and cnn, which expand into layers — and the builder that turns it into a Sequential network.

/// Which network to build and its sizes. Defaults give the Fashion-MNIST MLP 784-512-256-10.
public struct ModelSpec: Sendable, Equatable {
    /// The architecture family.
    public enum Kind: String, Sendable, CaseIterable {
        /// One Dense layer from inputs to outputs.
        case logistic
        /// Dense layers of `hidden` sizes, each followed by `activation` and dropout.
        case mlp
        /// LeNet-style: per entry of `channels`, conv(kernel, same padding) → activation →
        /// 2×2 max-pool; then flatten, Dense layers of `hidden` sizes, and the output layer.
        case cnn
        /// The layers of `layers`, as declared; the last one gives the outputs.
        case layers
    }

    /// Architecture; default `.mlp`.
    public var kind: Kind
    /// Hidden Dense layer widths; default `[512, 256]` (for `cnn` the default is `[128]`).
    public var hidden: [Int]
    /// Activation after each hidden layer; default `.relu`.
    public var activation: ActivationKind
    /// Dropout probability after each hidden activation; default 0 (off).
    public var dropout: Double
    /// Convolution output channels, one conv block per entry (cnn only); default `[16, 32]`.
    public var channels: [Int]
    /// Convolution kernel size (cnn only); default 5.
    public var kernel: Int
    /// The declared layers (`.layers` only); default empty.
    public var layers: [LayerSpec] = []

    public init(kind: Kind = .mlp, hidden: [Int]? = nil, activation: ActivationKind = .relu,
                dropout: Double = 0, channels: [Int] = [16, 32], kernel: Int = 5) {
        self.kind = kind
        self.hidden = hidden ?? (kind == .cnn ? [128] : kind == .logistic ? [] : [512, 256])
        self.activation = activation
        self.dropout = dropout
        self.channels = channels
        self.kernel = kernel
    }

    /// A short human-readable description, e.g. `mlp 784-512-256-10 relu`.
    public func summary(inputs: Int, outputs: Int) -> String {
        switch kind {
        case .logistic: return "logistic \(inputs)-\(outputs)"
        case .mlp: return "mlp " + ([inputs] + hidden + [outputs]).map(String.init).joined(separator: "-") + " \(activation.rawValue)"
        case .cnn: return "cnn conv\(channels) k\(kernel) dense\(hidden) \(activation.rawValue)"
        case .layers: return "\(layers.count) declared layers"
        }
    }
}

/// A model section that cannot be built for the data it is given.
public struct ModelError: Error, CustomStringConvertible {
    public let description: String
}

extension ModelSpec {
    /// The layers this spec stands for given `outputs` output values: the declared ones, or the
    /// shorthand's expansion with today's parameter names (`fc1`, `conv1`, `out` ...), so
    /// checkpoints written before layers could be declared still load.
    public func expandedLayers(outputs: Int) -> [LayerSpec] {
        var specs: [LayerSpec] = []
        func hiddenBlocks() {
            for (i, width) in hidden.enumerated() {
                specs.append(LayerSpec(.dense(units: width, init: activation.preferredInit), name: "fc\(i + 1)"))
                specs.append(LayerSpec(.activation(activation), name: "\(activation.rawValue)\(i + 1)"))
                if dropout > 0 { specs.append(LayerSpec(.dropout(rate: dropout), name: "dropout\(i + 1)")) }
            }
        }
        switch kind {
        case .layers:
            return layers
        case .logistic:
            return [LayerSpec(.dense(units: outputs, init: .xavier), name: "linear")]
        case .mlp:
            hiddenBlocks()
        case .cnn:
            for (i, c) in channels.enumerated() {
                specs.append(LayerSpec(.conv2d(channels: c, kernel: kernel, stride: 1, padding: kernel / 2), name: "conv\(i + 1)"))
                specs.append(LayerSpec(.activation(activation), name: "\(activation.rawValue)_conv\(i + 1)"))
                specs.append(LayerSpec(.maxPool(window: 2, stride: nil), name: "pool\(i + 1)"))
            }
            specs.append(LayerSpec(.flatten, name: "flatten"))
            hiddenBlocks()
        }
        specs.append(LayerSpec(.dense(units: outputs, init: .xavier), name: "out"))
        return specs
    }

    /// The shape the first layer sees for samples of `sampleShape`: images as
    /// `[height, width, channels]` (the loaders' one-channel `[1, height, width]` becomes
    /// `[height, width, 1]`), anything else as it is (`[positions]`, `[positions, features]` ...).
    public static func inputShape(sampleShape: [Int]) -> [Int] {
        if sampleShape.count == 3 && sampleShape[0] == 1 { return [sampleShape[1], sampleShape[2], 1] }
        return sampleShape
    }

    /// Builds the network for samples of `sampleShape` (`[1, height, width]` for images,
    /// `[features]` otherwise) and `outputs` output values; parameters initialised from `seed`.
    public func build(sampleShape: [Int], outputs: Int, seed: UInt64) throws -> Sequential {
        try Sequential(layers: layers(sampleShape: sampleShape, outputs: outputs), seed: seed)
    }

    /// Builds the network for samples of `sampleShape` giving what `task` needs per sample
    /// (`task.outputShape`: `[classes]`, `[outputs]`, or `[context, vocab]` for a language model).
    public func build(sampleShape: [Int], task: LearningTask, seed: UInt64) throws -> Sequential {
        try Sequential(layers: layers(sampleShape: sampleShape, task: task), seed: seed)
    }

    /// The built layers for `outputs` values per sample (see `layers(sampleShape:task:)`).
    public func layers(sampleShape: [Int], outputs: Int) throws -> [Layer] {
        try layers(sampleShape: sampleShape, outputShape: [outputs])
    }

    /// The built layers for what `task` needs per sample, without parameter storage.
    public func layers(sampleShape: [Int], task: LearningTask) throws -> [Layer] {
        try layers(sampleShape: sampleShape, outputShape: task.outputShape)
    }

    /// The built layers, shapes inferred, without parameter storage (what `validate` prints);
    /// the last layer must produce `outputShape` per sample.
    private func layers(sampleShape: [Int], outputShape: [Int]) throws -> [Layer] {
        let outputs = outputShape.reduce(1, *)
        var input = Self.inputShape(sampleShape: sampleShape)
        switch kind {
        case .logistic, .mlp:
            input = [sampleShape.reduce(1, *)]
        case .cnn:
            guard sampleShape.count == 3, sampleShape[0] == 1 else {
                throw ModelError(description: "model.type cnn needs image samples of shape [1, height, width]; this dataset's samples have shape \(sampleShape) (use mlp or logistic for tabular data)")
            }
            var side = (sampleShape[1], sampleShape[2])
            for i in channels.indices {
                guard side.0 >= 2, side.1 >= 2 else {
                    throw ModelError(description: "model.channels has \(channels.count) conv blocks; a \(sampleShape[1])×\(sampleShape[2]) image is pooled below 2×2 after \(i) — use fewer")
                }
                side = (side.0 / 2, side.1 / 2)
            }
        case .layers:
            guard !layers.isEmpty else { throw ModelError(description: "model.layers: the list is empty; declare at least one layer") }
        }
        var builder = LayerBuilder()
        let specs = expandedLayers(outputs: outputs)
        let built = try builder.build(specs, inputShape: input, prefix: "", path: "model.layers")
        let produced = built[built.count - 1].outputShape
        guard produced == outputShape else {
            if outputShape.count == 2 {
                throw ModelError(description: "model.layers: the last layer gives \(produced) per sample, but next-token prediction needs "
                                 + "\(outputShape) (\(outputShape[1]) logits at each of \(outputShape[0]) positions); end with "
                                 + "{type: dense, units: \(outputShape[1])} or {type: dense, tied_to: EMBEDDING-NAME} on [\(outputShape[0]), width] input")
            }
            throw ModelError(description: "model.layers: the last layer gives \(produced) per sample, but the data needs \(outputs) outputs; "
                             + "end with {type: dense, units: \(outputs)}" + (produced.count > 1 ? " (after a flatten or global_avg_pool)" : ""))
        }
        // Every tensor name once: two layers sharing one would share (or shadow) it in checkpoints.
        var owners: [String: Int] = [:]
        var total = 0
        for (index, layer) in built.enumerated() {
            for request in layer.parameterRequests {
                let tensor = layer.name + "." + request.name
                if let first = owners[tensor] {
                    throw ModelError(description: "model.layers[\(index)] (\(specs[index].typeName)): its tensor \(tensor) is also "
                                     + "model.layers[\(first)]'s; give one of them another name:")
                }
                owners[tensor] = index
                let (sum, overflow) = total.addingReportingOverflow(request.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue })
                total = overflow ? Int.max : sum
            }
        }
        guard total <= Self.maxParameters else {
            throw ModelError(description: "model.layers: the model has \(total) parameters, more than the \(Self.maxParameters) "
                             + "(8 GiB of float32) a model may have; use fewer or narrower layers")
        }
        return built
    }

    /// The most parameters a model may have (2³¹, 8 GiB as float32).
    public static let maxParameters = 1 << 31
}
