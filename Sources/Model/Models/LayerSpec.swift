// LayerSpec: one layer of a model declared in the config (`model.layers[i]`), and the builder
// that infers every layer's shapes from the data and names its parameters.

/// One declared layer: its kind with options, and an optional name for its parameters.
public struct LayerSpec: Sendable, Equatable {
    /// What the layer computes: a declared kind (`LayerType`) and its option values.
    public struct Kind: Sendable, Equatable {
        /// The declared kind.
        public let type: LayerType
        /// Its option values; what the parser fills in as defaults, building fills in too.
        public var options: LayerOptions

        /// A layer of kind `type` with `options`, not checked here: building it throws a
        /// `ModelError` naming the layer and option when a required option is missing or mistyped.
        public init(_ type: LayerType, _ options: LayerOptions = LayerOptions()) {
            self.type = type
            self.options = options
        }
    }

    public var kind: Kind
    /// Names the layer's parameters in checkpoints (`<name>.weight`); nil: `<type>_<index>`.
    public var name: String?

    public init(_ kind: Kind, name: String? = nil) {
        self.kind = kind
        self.name = name
    }

    /// The `type:` a config writes for this kind.
    public var typeName: String { kind.type.name }

    /// Every `type:` a config may write.
    public static var typeNames: [String] { LayerType.all.map(\.name) }
}

/// Builds declared layers, inferring shapes; mistakes are `ModelError`s naming the layer by its
/// key path (`model.layers[3]`), kind and the shape it was given.
struct LayerBuilder {
    /// Dropout layers get distinct mask streams, in build order.
    var dropoutStreams: UInt64 = 0
    /// Embedding layers built so far, by name (what `tied_to` may name).
    var embeddings: [String: Embedding] = [:]
    /// Embeddings an output layer is tied to already, with that layer's key path: one tie each,
    /// since the tied layer's backward writes the embedding's gradient before the embedding adds.
    var tiedEmbeddings: [String: String] = [:]

    /// The layers of `specs`, the first taking `inputShape`; names are `prefix` + the layer's
    /// name; `path` is the config key path of the list (`model.layers`).
    mutating func build(_ specs: [LayerSpec], inputShape: [Int], prefix: String, path: String) throws -> [Layer] {
        var layers: [Layer] = []
        var shape = inputShape
        for (index, spec) in specs.enumerated() {
            let site = LayerSite(name: prefix + (spec.name ?? "\(spec.typeName)_\(index)"), shape: shape,
                                 at: "\(path)[\(index)] (\(spec.typeName))", path: "\(path)[\(index)]",
                                 next: specs.dropFirst(index + 1).first)
            let layer = try spec.kind.type.build(spec.kind.type.withDefaults(spec.kind.options), site, &self)
            layers.append(layer)
            shape = layer.outputShape
        }
        return layers
    }
}
