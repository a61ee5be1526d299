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

    /// Reads one declared layer by its kind's declaration (`LayerType`): unknown keys, excluded
    /// pairs, missing required keys and bad values are errors at the key; defaults filled in, except
    /// for keys an option given excludes.
    private static func parseLayer(_ value: ConfigValue, count: inout Int) throws -> LayerSpec {
        let t = try value.table(allowed: nil)
        let typeValue = try t.required("type", hint: "one of " + LayerSpec.typeNames.joined(separator: ", "))
        let type = try typeValue.choice(LayerSpec.typeNames)
        let declaration = LayerType.named(type)!
        let keys = declaration.options.map(\.key)
        let allowed = keys + ["type", "name"]
        for (key, v) in t.entries where !allowed.contains(key) {
            let near = closestMatch(to: key, in: allowed).map { "did you mean '\($0)'? " } ?? ""
            throw v.error("'\(key)' is not an option of a \(type) layer", hint: near + "\(type) takes " + (keys.isEmpty ? "no options" : keys.joined(separator: ", ")))
        }
        var name: String?
        if let v = t["name"] {
            let text = try v.string()
            guard text.range(of: #"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$"#, options: .regularExpression) != nil else {
                throw v.error("'\(text)' is not a usable parameter name", hint: "letters, digits and '_', dotted parts allowed, e.g. blocks.0")
            }
            name = text
        }
        var excluded: Set<String> = []
        for option in declaration.options where t[option.key] != nil {
            guard let exclusion = option.excludes else { continue }
            for key in exclusion.keys {
                if let v = t.entries.first(where: { $0.key == key })?.value {
                    throw v.error("'\(key)' does not go with \(option.key): \(exclusion.why)",
                                  hint: "remove \(key), or remove \(option.key) \(exclusion.otherwise)")
                }
                excluded.insert(key)
            }
        }
        var options = LayerOptions()
        for option in declaration.options {
            guard let v = t[option.key] else {
                if option.required && !excluded.contains(option.key) {
                    _ = try t.required(option.key, hint: option.missingHint ?? option.hint)
                }
                continue
            }
            options[option.key] = try optionValue(v, option, count: &count)
        }
        return LayerSpec(LayerSpec.Kind(declaration, declaration.withDefaults(options)), name: name)
    }

    /// The value of one layer option, checked against its declared type and range.
    private static func optionValue(_ v: ConfigValue, _ option: LayerOption, count: inout Int) throws -> LayerOptionValue {
        switch option.type {
        case .int(let range): return .int(try v.int(in: range, hint: option.hint))
        case .double(let range): return .double(try v.double(in: range, hint: option.hint))
        case .interval(let range, let openBelow):
            let number = try v.double()
            guard range.contains(number) && !(openBelow && number == range.lowerBound) else {
                func bound(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d) }
                let interval = (openBelow ? "(" : "[") + bound(range.lowerBound) + ", " + bound(range.upperBound) + "]"
                throw v.error("\(number) must be in \(interval)", hint: option.hint)
            }
            return .double(number)
        case .bool: return .bool(try v.bool())
        case .choice(let choices): return .text(try v.choice(choices))
        case .text: return .text(try v.string())
        case .layers: return .layers(try parseLayers(v, count: &count))
        }
    }
}
