// Declared model tests: the shorthands expand into layers with today's parameter names and
// values, declared layers infer their shapes and names, and mistakes name the layer.
import Testing
@testable import Model

@Test("shorthands keep their parameter names and shapes (checkpoints written before still load)")
func shorthandLayouts() throws {
    func layout(_ spec: ModelSpec, _ shape: [Int]) throws -> [String] {
        try spec.build(sampleShape: shape, outputs: 10, seed: 1).store.entries.map { "\($0.name)\($0.shape)" }
    }
    #expect(try layout(ModelSpec(kind: .logistic), [784]) == ["linear.weight[10, 784]", "linear.bias[10]"])
    #expect(try layout(ModelSpec(kind: .mlp, hidden: [64, 32]), [1, 28, 28])
            == ["fc1.weight[64, 784]", "fc1.bias[64]", "fc2.weight[32, 64]", "fc2.bias[32]", "out.weight[10, 32]", "out.bias[10]"])
    #expect(try layout(ModelSpec(kind: .cnn, hidden: [16], channels: [4, 8], kernel: 5), [1, 28, 28])
            == ["conv1.weight[4, 5, 5, 1]", "conv1.bias[4]", "conv2.weight[8, 5, 5, 4]", "conv2.bias[8]",
                "fc1.weight[16, 392]", "fc1.bias[16]", "out.weight[10, 16]", "out.bias[10]"])
}

@Test("a declared MLP equal to the shorthand has the same initial parameters, bit for bit")
func declaredEqualsShorthand() throws {
    let shorthand = try ModelSpec(kind: .mlp, hidden: [20], dropout: 0.2).build(sampleShape: [12], outputs: 3, seed: 9)
    var declared = ModelSpec(kind: .layers)
    declared.layers = [LayerSpec(.dense(units: 20, init: nil), name: "fc1"), LayerSpec(.activation(.relu)),
                       LayerSpec(.dropout(rate: 0.2)), LayerSpec(.dense(units: 3, init: .xavier), name: "out")]
    let network = try declared.build(sampleShape: [12], outputs: 3, seed: 9)
    #expect(network.store.entries.map(\.name) == shorthand.store.entries.map(\.name))
    #expect(network.store.parameters.array == shorthand.store.parameters.array)
}

@Test("unnamed layers are named by type and position; nested ones under their block")
func declaredNames() throws {
    var spec = ModelSpec(kind: .layers)
    spec.layers = [LayerSpec(.dense(units: 8, init: nil)), LayerSpec(.residual([LayerSpec(.layerNorm), LayerSpec(.dense(units: 8, init: nil), name: "fc")]), name: "blocks.0"),
                   LayerSpec(.dense(units: 4, init: nil))]
    let names = try spec.build(sampleShape: [5], outputs: 4, seed: 1).store.entries.map(\.name)
    #expect(names == ["dense_0.weight", "dense_0.bias", "blocks.0.layer_norm_0.weight", "blocks.0.layer_norm_0.bias",
                      "blocks.0.fc.weight", "blocks.0.fc.bias", "dense_2.weight", "dense_2.bias"])
}

/// A declared model that does not fit its data, and what the error must say.
struct BadModel: CustomTestStringConvertible, Sendable {
    let label: String
    let layers: [LayerSpec]
    let shape: [Int]
    let fragments: [String]
    var testDescription: String { label }
}

private let badModels: [BadModel] = [
    BadModel(label: "conv on flat input", layers: [LayerSpec(.conv2d(channels: 2, kernel: 3, stride: 1, padding: 0)), LayerSpec(.dense(units: 10, init: nil))],
             shape: [12], fragments: ["model.layers[0] (conv2d)", "needs image input", "[12]"]),
    BadModel(label: "kernel larger than the image", layers: [LayerSpec(.conv2d(channels: 2, kernel: 9, stride: 1, padding: 0))],
             shape: [1, 5, 5], fragments: ["model.layers[0] (conv2d)", "9×9 kernel does not fit the 5×5 input"]),
    BadModel(label: "pool window too large", layers: [LayerSpec(.maxPool(window: 8, stride: nil))], shape: [1, 4, 4],
             fragments: ["model.layers[0] (max_pool)", "8×8 window"]),
    BadModel(label: "residual changes the shape", layers: [LayerSpec(.residual([LayerSpec(.dense(units: 3, init: nil))])), LayerSpec(.dense(units: 10, init: nil))],
             shape: [5], fragments: ["model.layers[0] (residual)", "turn [5] into [3]"]),
    BadModel(label: "nested mistake", layers: [LayerSpec(.residual([LayerSpec(.globalAvgPool)]))], shape: [5],
             fragments: ["model.layers[0].layers[0] (global_avg_pool)", "needs image input"]),
    BadModel(label: "last layer width", layers: [LayerSpec(.dense(units: 7, init: nil))], shape: [5],
             fragments: ["gives [7] per sample", "needs 10 outputs", "{type: dense, units: 10}"]),
    BadModel(label: "image output without flatten", layers: [LayerSpec(.conv2d(channels: 10, kernel: 1, stride: 1, padding: 0))], shape: [1, 3, 3],
             fragments: ["gives [3, 3, 10]", "after a flatten or global_avg_pool"]),
    BadModel(label: "a sequence output whose size happens to match", layers: [LayerSpec(.dense(units: 5, init: nil))], shape: [2, 7],
             fragments: ["gives [2, 5]", "needs 10 outputs"]),
    BadModel(label: "a name taken by an unnamed layer", layers: [LayerSpec(.flatten), LayerSpec(.dense(units: 16, init: nil), name: "dense_2"),
                                                                 LayerSpec(.dense(units: 10, init: nil))],
             shape: [4], fragments: ["model.layers[2] (dense): its tensor dense_2.weight is also model.layers[1]'s"]),
    BadModel(label: "a name inside another layer's block", layers: [LayerSpec(.residual([LayerSpec(.dense(units: 4, init: nil))]), name: "r"),
                                                                    LayerSpec(.dense(units: 4, init: nil), name: "r.dense_0"), LayerSpec(.dense(units: 10, init: nil))],
             shape: [4], fragments: ["model.layers[1] (dense): its tensor r.dense_0.weight is also model.layers[0]'s"]),
    BadModel(label: "more parameters than a model may have", layers: [LayerSpec(.dense(units: 1 << 20, init: nil)), LayerSpec(.dense(units: 1 << 20, init: nil)),
                                                                      LayerSpec(.dense(units: 10, init: nil))],
             shape: [4], fragments: ["more than the 2147483648"]),
]

@Test("declared models that do not fit the data name the layer, its kind and the shapes", arguments: badModels)
func badDeclaredModel(_ bad: BadModel) {
    var spec = ModelSpec(kind: .layers)
    spec.layers = bad.layers
    do {
        _ = try spec.build(sampleShape: bad.shape, outputs: 10, seed: 1)
        Issue.record("\(bad.label): expected an error")
    } catch let error as ModelError {
        for fragment in bad.fragments { #expect(error.description.contains(fragment), "\(bad.label): \(error)") }
    } catch {
        Issue.record("\(bad.label): \(error)")
    }
}

@Test("a GPT-style declaration names its tensors as a PyTorch module would")
func gptNames() throws {
    var spec = ModelSpec(kind: .layers)
    spec.layers = [LayerSpec(.embedding(vocab: 256, dim: 32), name: "wte"), LayerSpec(.positionEmbedding, name: "wpe"),
                   LayerSpec(.transformerBlock(heads: 4, mlp: 64, causal: true, activation: .gelu_tanh), name: "blocks.0"),
                   LayerSpec(.layerNorm, name: "lnf"), LayerSpec(.flatten), LayerSpec(.dense(units: 3, init: .normal), name: "head")]
    let entries = try spec.build(sampleShape: [16], outputs: 3, seed: 1).store.entries.map { "\($0.name)\($0.shape)" }
    #expect(entries == ["wte.weight[256, 32]", "wpe.weight[16, 32]",
                        "blocks.0.ln1.weight[32]", "blocks.0.ln1.bias[32]", "blocks.0.qkv.weight[96, 32]", "blocks.0.qkv.bias[96]",
                        "blocks.0.proj.weight[32, 32]", "blocks.0.proj.bias[32]", "blocks.0.ln2.weight[32]", "blocks.0.ln2.bias[32]",
                        "blocks.0.fc.weight[64, 32]", "blocks.0.fc.bias[64]", "blocks.0.out.weight[32, 64]", "blocks.0.out.bias[32]",
                        "lnf.weight[32]", "lnf.bias[32]", "head.weight[3, 512]", "head.bias[3]"])
    var bad = spec
    bad.layers[2] = LayerSpec(.transformerBlock(heads: 5, mlp: 64, causal: true, activation: .gelu_tanh))
    #expect(throws: ModelError.self) { _ = try bad.build(sampleShape: [16], outputs: 3, seed: 1) }
    do { _ = try bad.build(sampleShape: [16], outputs: 3, seed: 1) } catch {
        #expect("\(error)".contains("model.layers[2].heads: 5 does not divide the width 32"), "\(error)")
    }
    var late = spec
    late.layers.insert(LayerSpec(.flatten), at: 0)
    do { _ = try late.build(sampleShape: [16], outputs: 3, seed: 1); Issue.record("expected an error") } catch {
        #expect("\(error)".contains("must be the first layer"), "\(error)")
    }
}

@Test("a dense layer keeps a leading axis of size 1, so a one-position sequence keeps its shape")
func denseKeepsSinglePositions() throws {
    var spec = ModelSpec(kind: .layers)
    spec.layers = [LayerSpec(.embedding(vocab: 4, dim: 8)), LayerSpec(.residual([LayerSpec(.layerNorm), LayerSpec(.dense(units: 8, init: nil))])),
                   LayerSpec(.attention(heads: 2, causal: true)), LayerSpec(.flatten), LayerSpec(.dense(units: 3, init: nil))]
    let layers = try spec.layers(sampleShape: [1], outputs: 3)
    #expect(layers.map(\.outputShape) == [[1, 8], [1, 8], [1, 8], [8], [3]])
}

/// A layer that counts its backward calls.
private final class Probe: Layer {
    let name = "probe"
    let inputShape: [Int]
    var outputShape: [Int] { inputShape }
    var backwardCalls = 0
    init(_ shape: [Int]) { inputShape = shape }
    func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        UnsafeMutablePointer(mutating: input)
    }
    func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool, needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        backwardCalls += 1
        return needInputGradient ? UnsafeMutablePointer(mutating: outputGradient) : nil
    }
}

@Test("layers below the first one with parameters are never run backward (their gradient would have the wrong shape)")
func nothingBelowTheFirstParameterisedLayer() throws {
    let probe = Probe([6])
    let network = Sequential(layers: [probe, Residual(name: "r", layers: [Activation(name: "r.a", kind: .relu, shape: [6])]),
                                      Dense(name: "fc", inputs: 6, outputs: 2)], seed: 1)
    let x = [Float](repeating: 0.5, count: 12), dy = [Float](repeating: 1, count: 4)
    _ = x.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: 2, context: ForwardContext(training: true)) }
    var done: [Int] = []
    dy.withUnsafeBufferPointer { network.backward($0.baseAddress!, batch: 2, accumulate: false) { done.append($0) } }
    #expect(probe.backwardCalls == 0)
    #expect(done == [2, 1, 0], "every layer is still reported done, for the gradient buckets")
}

@Test("token ids are checked: whole numbers below the vocabulary")
func embeddingIDCheck() {
    let embedding = Embedding(name: "wte", vocab: 4, dim: 2, positions: 3)
    #expect(embedding.firstInvalidID(in: [0, 1, 3, 2]) == nil)
    #expect(embedding.firstInvalidID(in: [0, 1, 4]).map { $0.index } == 2)
    #expect(embedding.firstInvalidID(in: [0.5]).map { $0.value } == 0.5)
    #expect(embedding.firstInvalidID(in: [-1]) != nil && embedding.firstInvalidID(in: [.nan]) != nil)
}

/// A kind made in Swift that the config parser would refuse, and what building it must say.
private let uncheckedKinds: [(label: String, kind: LayerSpec.Kind, shape: [Int], fragment: String)] = [
    ("conv2d without kernel", LayerSpec.Kind(.conv2d, LayerOptions(["channels": .int(2)])), [1, 4, 4],
     "model.layers[0] (conv2d): option 'kernel' is missing"),
    ("dense without units", LayerSpec.Kind(.dense), [4], "model.layers[0] (dense): option 'units' is missing"),
    ("dense with text units", LayerSpec.Kind(.dense, LayerOptions(["units": .text("ten")])), [4],
     "model.layers[0] (dense): option 'units' must be a whole number"),
    ("activation with an unknown function", LayerSpec.Kind(.activation, LayerOptions(["function": .text("swish")])), [4],
     "model.layers[0] (activation): option 'function' has no value 'swish'"),
    ("embedding without dim", LayerSpec.Kind(.embedding, LayerOptions(["vocab": .int(8)])), [4],
     "model.layers[0] (embedding): option 'dim' is missing"),
    ("residual without layers", LayerSpec.Kind(.residual), [4], "model.layers[0] (residual): option 'layers' is missing"),
    ("rms_norm with an eps that is 0 as a Float", .rmsNorm(eps: 1e-50), [4], "model.layers[0] (rms_norm): eps 1e-50 must be in [1e-30, 1]"),
    ("batch_norm with an eps that is subnormal as a Float", .batchNorm(momentum: 0.1, eps: 1e-40), [4],
     "model.layers[0] (batch_norm): eps 1e-40 must be in [1e-30, 1]"),
]

@Test("a kind made in Swift without a required option, or with a mistyped one, throws naming the layer and option",
      arguments: uncheckedKinds.indices)
func uncheckedKindThrows(_ index: Int) {
    let c = uncheckedKinds[index]
    var spec = ModelSpec(kind: .layers)
    spec.layers = [LayerSpec(c.kind), LayerSpec(.flatten), LayerSpec(.dense(units: 10, init: nil))]
    do {
        _ = try spec.build(sampleShape: c.shape, outputs: 10, seed: 1)
        Issue.record("\(c.label): expected an error")
    } catch let error as ModelError {
        #expect(error.description.contains(c.fragment), "\(c.label): \(error)")
    } catch {
        Issue.record("\(c.label): \(error)")
    }
}

@Test("options left out of a kind made in Swift take their declared defaults when built")
func swiftKindTakesDefaults() throws {
    var spec = ModelSpec(kind: .layers)
    spec.layers = [LayerSpec(LayerSpec.Kind(.conv2d, LayerOptions(["channels": .int(2), "kernel": .int(3)]))),
                   LayerSpec(LayerSpec.Kind(.rmsNorm)), LayerSpec(.flatten), LayerSpec(.dense(units: 10, init: nil))]
    let layers = try spec.layers(sampleShape: [1, 5, 5], outputs: 10)
    #expect(layers[0].outputShape == [3, 3, 2])   // stride 1, padding 0
    #expect((layers[1] as? RMSNorm)?.epsilon == 1e-5)
}

@Test("defaults are filled in for options left out, but not for keys an option given excludes")
func defaultsSkipExcludedKeys() {
    let type = LayerType("t", options: [
        LayerOption("width", .int(1...8), default: .int(4)),
        LayerOption("shared", .text, excludes: .init(["width"], because: "a shared layer takes its width from the other", otherwise: "for a width of its own")),
    ], builds: []) { _, site, _ in Flatten(name: site.name, shape: site.shape) }
    #expect(type.withDefaults(LayerOptions()) == LayerOptions(["width": .int(4)]))
    #expect(type.withDefaults(LayerOptions(["shared": .text("a")])) == LayerOptions(["shared": .text("a")]))
    #expect(type.withDefaults(LayerOptions(["width": .int(2)])) == LayerOptions(["width": .int(2)]))
}
