// ModelParser: reads `job.model` — a shorthand (type: logistic | mlp | cnn with its sizes) or a
// list of declared layers (`layers: [{type: dense, units: 256}, ...]`) — checking every option.
import Model

/// Parses `model:` mappings.
enum ModelParser {
    static let shorthandKeys = ["type", "hidden", "activation", "dropout", "channels", "kernel"]

    /// The most layers a declared model (nested blocks included) may have.
    static let maxLayers = 1000

    static func parse(_ value: ConfigValue) throws -> ModelSpec {
        let t = try value.table(allowed: shorthandKeys + ["layers"])
        if let layers = t["layers"] {
            if let other = t.entries.first(where: { $0.key != "layers" }) {
                throw other.value.error("'\(other.key)' does not go with layers:", hint: "declare everything in the layers list, or use a type: shorthand without layers")
            }
            var spec = ModelSpec(kind: .layers)
            var count = 0
            spec.layers = try parseLayers(layers, count: &count)
            guard !spec.layers.isEmpty else { throw layers.error("the layers list is empty", hint: "declare at least one layer, e.g. [{type: dense, units: 10}]") }
            return spec
        }
        let kind = ModelSpec.Kind(rawValue: try t["type"]?.choice(["logistic", "mlp", "cnn"]) ?? "mlp")!
        var spec = ModelSpec(kind: kind)
        if let v = t["hidden"] {
            guard kind != .logistic else { throw v.error("logistic regression has no hidden layers", hint: "use type: mlp") }
            spec.hidden = try widths(v)
        }
        if let v = t["activation"] { spec.activation = try activation(v) }
        if let v = t["dropout"] { spec.dropout = try v.double(in: 0...0.95, hint: "a probability from 0 to 0.95") }
        if let v = t["channels"] {
            guard kind == .cnn else { throw v.error("channels applies to type: cnn only") }
            spec.channels = try widths(v)
            guard !spec.channels.isEmpty else { throw v.error("a cnn needs at least one conv block") }
        }
        if let v = t["kernel"] {
            guard kind == .cnn else { throw v.error("kernel applies to type: cnn only") }
            spec.kernel = try v.int(in: 1...15)
            guard spec.kernel % 2 == 1 else { throw v.error("kernel must be odd (same padding)", hint: "e.g. 3 or 5") }
        }
        return spec
    }

    static func activation(_ value: ConfigValue) throws -> ActivationKind {
        ActivationKind(rawValue: try value.choice(ActivationKind.allCases.map(\.rawValue)))!
    }

    /// A layer-width list: `[512, 256]`, or a single number for one layer.
    private static func widths(_ value: ConfigValue) throws -> [Int] {
        if case .scalar = value.node { return [try value.int(in: 1...65_536)] }
        return try value.list().map { try $0.int(in: 1...65_536, hint: "layer widths are whole numbers from 1 to 65536") }
    }

    private static func parseLayers(_ value: ConfigValue, count: inout Int) throws -> [LayerSpec] {
        try value.list().map { item in
            count += 1
            guard count <= maxLayers else { throw item.error("more than \(maxLayers) layers", hint: "a model declares at most \(maxLayers) layers") }
            return try parseLayer(item, count: &count)
        }
    }

    /// The options each layer type takes besides `type` and `name`.
    static let options: [String: [String]] = [
        "dense": ["units", "init", "tied_to"], "conv2d": ["channels", "kernel", "stride", "padding"],
        "max_pool": ["window", "stride"], "avg_pool": ["window", "stride"], "global_avg_pool": [], "flatten": [],
        "dropout": ["rate"], "activation": ["function"], "layer_norm": [], "batch_norm": ["momentum", "eps"],
        "residual": ["layers"],
        "embedding": ["vocab", "dim"], "position_embedding": [], "attention": ["heads", "causal"],
        "transformer_block": ["heads", "mlp", "causal", "activation"],
    ]

    private static func parseLayer(_ value: ConfigValue, count: inout Int) throws -> LayerSpec {
        let t = try value.table(allowed: nil)
        let typeValue = try t.required("type", hint: "one of " + LayerSpec.typeNames.joined(separator: ", "))
        let type = try typeValue.choice(LayerSpec.typeNames)
        let allowed = options[type]! + ["type", "name"]
        for (key, v) in t.entries where !allowed.contains(key) {
            let near = closestMatch(to: key, in: allowed).map { "did you mean '\($0)'? " } ?? ""
            throw v.error("'\(key)' is not an option of a \(type) layer", hint: near + "\(type) takes " + (options[type]!.isEmpty ? "no options" : options[type]!.joined(separator: ", ")))
        }
        var name: String?
        if let v = t["name"] {
            let text = try v.string()
            guard text.range(of: #"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$"#, options: .regularExpression) != nil else {
                throw v.error("'\(text)' is not a usable parameter name", hint: "letters, digits and '_', dotted parts allowed, e.g. blocks.0")
            }
            name = text
        }
        func required(_ key: String, _ range: ClosedRange<Int>, _ hint: String) throws -> Int {
            try t.required(key, hint: hint).int(in: range, hint: hint)
        }
        let kind: LayerSpec.Kind
        switch type {
        case "dense" where t["tied_to"] != nil:
            for key in ["units", "init"] where t.contains(key) {
                throw t[key]!.error("'\(key)' does not go with tied_to: a tied layer takes its weight (and width) from the embedding",
                                    hint: "remove \(key), or remove tied_to for a dense layer of its own")
            }
            let target = try t["tied_to"]!.string()
            kind = .tiedDense(embedding: target)
        case "dense":
            let initRule = try t["init"].map { WeightInit(rawValue: try $0.choice(["he", "xavier", "normal"]))! }
            kind = .dense(units: try required("units", 1...1_048_576, "output width, e.g. units: 256"), init: initRule)
        case "conv2d":
            let kernel = try required("kernel", 1...31, "kernel size, e.g. kernel: 3")
            kind = .conv2d(channels: try required("channels", 1...65_536, "output channels, e.g. channels: 32"), kernel: kernel,
                           stride: try t["stride"]?.int(in: 1...31) ?? 1, padding: try t["padding"]?.int(in: 0...31) ?? 0)
        case "max_pool", "avg_pool":
            let window = try t["window"]?.int(in: 1...64, hint: "window size, e.g. window: 2") ?? 2
            let stride = try t["stride"]?.int(in: 1...64)
            kind = type == "max_pool" ? .maxPool(window: window, stride: stride) : .avgPool(window: window, stride: stride)
        case "global_avg_pool": kind = .globalAvgPool
        case "flatten": kind = .flatten
        case "dropout": kind = .dropout(rate: try t.required("rate", hint: "drop probability, e.g. rate: 0.1").double(in: 0...0.95))
        case "activation": kind = .activation(try activation(try t.required("function", hint: "e.g. function: relu")))
        case "layer_norm": kind = .layerNorm
        case "batch_norm":
            let momentum = try t["momentum"]?.double() ?? 0.1
            guard (0...1).contains(momentum) else {
                throw t["momentum"]!.error("\(momentum) must be in [0, 1]", hint: "the weight of each new batch in the running statistics (default 0.1, as PyTorch)")
            }
            let eps = try t["eps"]?.double() ?? 1e-5
            guard eps > 0 && eps <= 1 else {
                throw t["eps"]!.error("\(eps) must be in (0, 1]", hint: "added to the variance before the square root (default 1e-5)")
            }
            kind = .batchNorm(momentum: momentum, eps: eps)
        case "embedding":
            kind = .embedding(vocab: try required("vocab", 1...1_048_576, "number of token ids, e.g. vocab: 256"),
                              dim: try required("dim", 1...65_536, "vector width, e.g. dim: 128"))
        case "position_embedding": kind = .positionEmbedding
        case "attention":
            kind = .attention(heads: try required("heads", 1...1024, "number of heads, e.g. heads: 4"),
                              causal: try t["causal"]?.bool() ?? true)
        case "transformer_block":
            kind = .transformerBlock(heads: try required("heads", 1...1024, "number of heads, e.g. heads: 4"),
                                     mlp: try required("mlp", 1...1_048_576, "MLP width, e.g. mlp: 512"),
                                     causal: try t["causal"]?.bool() ?? true,
                                     activation: try t["activation"].map(activation) ?? .gelu_tanh)
        default:
            let inner = try t.required("layers", hint: "the nested layers whose output is added to the input")
            kind = .residual(try parseLayers(inner, count: &count))
        }
        return LayerSpec(kind, name: name)
    }
}
