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
