// LayerType: the declaration of one layer kind — its config `type:` name, its options, how a
// declared layer of it is built, and which built layers the model table labels with it.

/// One layer kind, declared once; the config parser, the resolved-config writer, `validate` and
/// the model table read these declarations (`LayerType.all`).
public struct LayerType: Sendable, Equatable {
    /// The `type:` a config writes, also the label of its layers in the model table.
    public let name: String
    /// The options it takes besides `type` and `name`, in the order `resolved.yaml` writes them.
    public let options: [LayerOption]
    /// The built layer classes this kind makes (the model table labels them with `name`).
    let builds: [ObjectIdentifier]
    /// Builds one declared layer where `site` says; mistakes are `ModelError`s naming the site.
    let build: @Sendable (LayerOptions, LayerSite, inout LayerBuilder) throws -> Layer

    init(_ name: String, options: [LayerOption] = [], builds: [any Layer.Type],
         build: @escaping @Sendable (LayerOptions, LayerSite, inout LayerBuilder) throws -> Layer) {
        self.name = name
        self.options = options
        self.builds = builds.map { ObjectIdentifier($0) }
        self.build = build
    }

    public static func == (a: LayerType, b: LayerType) -> Bool { a.name == b.name }

    /// The declared kind called `name`, nil when none is.
    public static func named(_ name: String) -> LayerType? { all.first { $0.name == name } }

    /// The `type:` of the kind that built `layer` (the model table's label), its class name
    /// for a layer no kind declares.
    public static func label(of layer: Layer) -> String {
        let id = ObjectIdentifier(type(of: layer))
        return all.first { $0.builds.contains(id) }?.name ?? String(describing: type(of: layer))
    }
}

/// Where a declared layer is being built: its parameter-name prefix, input shape and config
/// key path, for the builder and its error messages.
struct LayerSite {
    /// Names the layer's parameters (`blocks.0`, `dense_2`).
    let name: String
    /// Per-sample input shape.
    let shape: [Int]
    /// The key path with the kind, for messages: `model.layers[3] (conv2d)`.
    let at: String
    /// The key path alone: `model.layers[3]`.
    let path: String
    /// The layer declared after this one in the same list.
    let next: LayerSpec?

    /// The input as `[height, width, channels]`; an error when it is not an image.
    func image() throws -> [Int] {
        guard shape.count == 3 else {
            throw ModelError(description: "\(at): needs image input [height, width, channels], got \(shape)")
        }
        return shape
    }

    /// The input as `[positions, dim]`; an error when it is not a sequence.
    func sequence() throws -> [Int] {
        guard shape.count == 2 else { throw ModelError(description: "\(at): needs [positions, dim] input, got \(shape)") }
        return shape
    }
}

extension LayerType {
    /// `options` with this kind's defaults filled in for the keys left out, except keys an
    /// option given excludes (`tied_to` leaves `units` and `init` out).
    public func withDefaults(_ options: LayerOptions) -> LayerOptions {
        let excluded = Set(self.options.filter { options[$0.key] != nil }.flatMap { $0.excludes?.keys ?? [] })
        var filled = options
        for option in self.options where filled[option.key] == nil && !excluded.contains(option.key) {
            filled[option.key] = option.defaultValue
        }
        return filled
    }
}

/// The option values a builder reads: a missing or mistyped value is a `ModelError` naming the
/// layer and the option, not a trap (a `LayerSpec.Kind` made in Swift need not pass the parser).
extension LayerOptions {
    /// The whole number under `key`.
    func int(_ key: String, at site: LayerSite) throws -> Int { try int(ifGiven: key, at: site) ?? missing(key, site) }
    /// The whole number under `key`, nil when absent.
    func int(ifGiven key: String, at site: LayerSite) throws -> Int? {
        try value(key, site, "a whole number") { if case .int(let v) = $0 { return v }; return nil }
    }
    /// The number under `key`.
    func double(_ key: String, at site: LayerSite) throws -> Double {
        try value(key, site, "a number") { if case .double(let v) = $0 { return v }; return nil } ?? missing(key, site)
    }
    /// `true` or `false` under `key`.
    func bool(_ key: String, at site: LayerSite) throws -> Bool {
        try value(key, site, "true or false") { if case .bool(let v) = $0 { return v }; return nil } ?? missing(key, site)
    }
    /// The keyword or name under `key`.
    func text(_ key: String, at site: LayerSite) throws -> String { try text(ifGiven: key, at: site) ?? missing(key, site) }
    /// The keyword or name under `key`, nil when absent.
    func text(ifGiven key: String, at site: LayerSite) throws -> String? {
        try value(key, site, "text") { if case .text(let v) = $0 { return v }; return nil }
    }
    /// The keyword under `key`, one of `T`'s raw values.
    func choice<T: RawRepresentable<String>>(_ key: String, at site: LayerSite, as _: T.Type = T.self) throws -> T {
        try choice(ifGiven: key, at: site) ?? missing(key, site)
    }
    /// The keyword under `key`, one of `T`'s raw values; nil when absent.
    func choice<T: RawRepresentable<String>>(ifGiven key: String, at site: LayerSite, as _: T.Type = T.self) throws -> T? {
        guard let text = try text(ifGiven: key, at: site) else { return nil }
        guard let value = T(rawValue: text) else {
            throw ModelError(description: "\(site.at): option '\(key)' has no value '\(text)'")
        }
        return value
    }
    /// The nested layers under `key`.
    func layers(_ key: String, at site: LayerSite) throws -> [LayerSpec] {
        try value(key, site, "a list of layers") { if case .layers(let v) = $0 { return v }; return nil } ?? missing(key, site)
    }

    private func value<T>(_ key: String, _ site: LayerSite, _ expected: String, _ read: (LayerOptionValue) -> T?) throws -> T? {
        guard let value = values[key] else { return nil }
        guard let read = read(value) else { throw ModelError(description: "\(site.at): option '\(key)' must be \(expected), got \(value)") }
        return read
    }

    private func missing<T>(_ key: String, _ site: LayerSite) throws -> T {
        throw ModelError(description: "\(site.at): option '\(key)' is missing")
    }
}
