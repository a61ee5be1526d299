// ModelSpec: the model section of a job — logistic regression, an MLP or a LeNet-style CNN —
// and the builder that turns it into a Sequential network for a given input and output size.

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
        }
    }
}

/// A model section that cannot be built for the data it is given.
public struct ModelError: Error, CustomStringConvertible {
    public let description: String
}

extension ModelSpec {
    /// Builds the network for samples of `sampleShape` (`[channels, height, width]` for images,
    /// `[features]` otherwise) and `outputs` output values; parameters initialised from `seed`.
    public func build(sampleShape: [Int], outputs: Int, seed: UInt64) throws -> Sequential {
        let inputs = sampleShape.reduce(1, *)
        var layers: [Layer] = []
        var shape = [inputs]
        var dropoutIndex: UInt64 = 0

        func addHidden(_ widths: [Int], prefix: String, firstIndex: Int) {
            for (i, width) in widths.enumerated() {
                let n = firstIndex + i
                layers.append(Dense(name: "\(prefix)\(n)", inputs: shape[0], outputs: width,
                                    weightInit: activation.preferredInit))
                shape = [width]
                layers.append(Activation(name: "\(activation.rawValue)\(n)", kind: activation, shape: shape))
                if dropout > 0 {
                    layers.append(Dropout(name: "dropout\(n)", probability: Float(dropout), shape: shape,
                                          streamID: dropoutIndex))
                    dropoutIndex += 1
                }
            }
        }

        switch kind {
        case .logistic:
            break
        case .mlp:
            addHidden(hidden, prefix: "fc", firstIndex: 1)
        case .cnn:
            guard sampleShape.count == 3, sampleShape[0] == 1 else {
                throw ModelError(description: "model.type cnn needs image samples of shape [1, height, width]; this dataset's samples have shape \(sampleShape) (use mlp or logistic for tabular data)")
            }
            var image = [sampleShape[1], sampleShape[2], 1]   // NHWC
            for (i, c) in channels.enumerated() {
                let conv = Conv2D(name: "conv\(i + 1)", inputShape: image, outChannels: c, kernel: kernel,
                                  padding: kernel / 2)
                layers.append(conv)
                layers.append(Activation(name: "\(activation.rawValue)_conv\(i + 1)", kind: activation,
                                         shape: conv.outputShape))
                guard conv.outputShape[0] >= 2, conv.outputShape[1] >= 2 else {
                    throw ModelError(description: "model.channels has \(channels.count) conv blocks; a \(sampleShape[1])×\(sampleShape[2]) image is pooled below 2×2 after \(i + 1) — use fewer")
                }
                let pool = MaxPool2D(name: "pool\(i + 1)", inputShape: conv.outputShape)
                layers.append(pool)
                image = pool.outputShape
            }
            layers.append(Flatten(name: "flatten", shape: image))
            shape = [image.reduce(1, *)]
            addHidden(hidden, prefix: "fc", firstIndex: 1)
        }
        layers.append(Dense(name: kind == .logistic ? "linear" : "out", inputs: shape[0], outputs: outputs,
                            weightInit: .xavier))
        return Sequential(layers: layers, seed: seed)
    }
}
