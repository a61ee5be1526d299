// Layer declaration tests: declared models write resolved.yaml exactly as before declarations
// existed (config hashes of old runs still match), and rms_norm parses, writes back and is checked.
import Foundation
import Testing
@testable import Coordinator
import Model

private let job = """
job:
  dataset:
    train: train.csv
    label: label
    normalize: none

"""

/// The `model:` section of the resolved YAML of `job` + `model`.
private func resolvedModel(_ model: String) throws -> String {
    let yaml = ResolvedConfig.yaml(job: try load(job + model).job)
    let start = try #require(yaml.range(of: "  model:\n")), end = try #require(yaml.range(of: "  optimizer:"))
    return String(yaml[start.lowerBound..<end.lowerBound])
}

/// Models and their `model:` section in resolved.yaml as written before layer kinds were declared:
/// the text `ringtrain train` of commit 643006b writes for them, byte for byte.
private let writtenBefore: [(label: String, model: String, resolved: String)] = [
    ("a text model: embeddings, residual with attention, transformer block, batch_norm, tied output",
     """
  model:
    layers:
      - {type: embedding, name: wte, vocab: 256, dim: 8}
      - {type: position_embedding, name: wpe}
      - type: residual
        name: r
        layers: [{type: layer_norm}, {type: attention, heads: 2, causal: false}, {type: dense, units: 8, init: he}, {type: activation, function: silu}, {type: dropout, rate: 0.1}]
      - {type: transformer_block, name: blocks.0, heads: 2, mlp: 16}
      - {type: batch_norm, momentum: 0.05}
      - {type: layer_norm, name: lnf}
      - {type: dense, name: lm_head, tied_to: wte}
""",
     """
  model:
    layers:
    - type: embedding
      name: "wte"
      vocab: 256
      dim: 8
    - type: position_embedding
      name: "wpe"
    - type: residual
      name: "r"
      layers:
      - type: layer_norm
      - type: attention
        heads: 2
        causal: false
      - type: dense
        units: 8
        init: he
      - type: activation
        function: silu
      - type: dropout
        rate: 0.1
    - type: transformer_block
      name: "blocks.0"
      heads: 2
      mlp: 16
      causal: true
      activation: gelu_tanh
    - type: batch_norm
      momentum: 0.05
      eps: 1e-05
    - type: layer_norm
      name: "lnf"
    - type: dense
      name: "lm_head"
      tied_to: "wte"
"""),
    ("an image model: conv2d, pools with and without stride, residual, flatten, dense with init",
     """
  model:
    layers:
      - {type: conv2d, channels: 4, kernel: 3, padding: 1, name: stem}
      - {type: batch_norm}
      - {type: max_pool, window: 2, stride: 1}
      - {type: avg_pool}
      - type: residual
        layers: [{type: conv2d, channels: 4, kernel: 3, stride: 1, padding: 1}, {type: activation, function: relu}]
      - {type: max_pool}
      - {type: flatten}
      - {type: dense, units: 12, init: xavier}
      - {type: dense, units: 3}
""",
     """
  model:
    layers:
    - type: conv2d
      name: "stem"
      channels: 4
      kernel: 3
      stride: 1
      padding: 1
    - type: batch_norm
      momentum: 0.1
      eps: 1e-05
    - type: max_pool
      window: 2
      stride: 1
    - type: avg_pool
      window: 2
    - type: residual
      layers:
      - type: conv2d
        channels: 4
        kernel: 3
        stride: 1
        padding: 1
      - type: activation
        function: relu
    - type: max_pool
      window: 2
    - type: flatten
    - type: dense
      units: 12
      init: xavier
    - type: dense
      units: 3
"""),
    ("global_avg_pool",
     """
  model:
    layers:
      - {type: conv2d, channels: 4, kernel: 3, padding: 1, name: stem}
      - {type: batch_norm}
      - {type: max_pool, window: 2, stride: 1}
      - {type: avg_pool}
      - type: residual
        layers: [{type: conv2d, channels: 4, kernel: 3, stride: 1, padding: 1}, {type: activation, function: relu}]
      - {type: global_avg_pool}
      - {type: dense, units: 12, init: xavier}
      - {type: dense, units: 3}
""",
     """
  model:
    layers:
    - type: conv2d
      name: "stem"
      channels: 4
      kernel: 3
      stride: 1
      padding: 1
    - type: batch_norm
      momentum: 0.1
      eps: 1e-05
    - type: max_pool
      window: 2
      stride: 1
    - type: avg_pool
      window: 2
    - type: residual
      layers:
      - type: conv2d
        channels: 4
        kernel: 3
        stride: 1
        padding: 1
      - type: activation
        function: relu
    - type: global_avg_pool
    - type: dense
      units: 12
      init: xavier
    - type: dense
      units: 3
"""),
]

@Test("resolved.yaml writes declared models byte for byte as before", arguments: writtenBefore.indices)
func resolvedModelUnchanged(_ index: Int) throws {
    let c = writtenBefore[index]
    #expect(try resolvedModel(c.model) == c.resolved + "\n", "\(c.label)")
}

@Test("rms_norm reads its eps (default 1e-5), writes it back, reads back to the same job, and validate shows it")
func rmsNormConfig() throws {
    let model = "  model: {layers: [{type: dense, units: 6}, {type: rms_norm, name: norm}, {type: rms_norm, eps: 1.0e-6}, {type: dense, units: 2}]}\n"
    let original = try load(job + model)
    #expect(original.job.model.layers[1].kind == .rmsNorm())
    #expect(original.job.model.layers[2].kind == .rmsNorm(eps: 1e-6))
    let written = try resolvedModel(model)
    #expect(written.contains("    - type: rms_norm\n      name: \"norm\"\n      eps: 1e-05\n"), "\(written)")
    #expect(written.contains("    - type: rms_norm\n      eps: 1e-06\n"), "\(written)")
    let yaml = ResolvedConfig.yaml(job: original.job, cluster: original.cluster)
    let again = try RunConfig(file: ConfigFile.parse(text: yaml, path: "resolved.yaml"))
    #expect(again.job == original.job, "\(yaml)")
    #expect(ResolvedConfig.hash(job: again.job) == ResolvedConfig.hash(job: original.job))
    let table = try ModelTable.text(model: original.job.model, sampleShape: [4], outputs: 2)
    let row = try #require(table.split(separator: "\n").first { $0.contains("norm") })
    #expect(row.contains("rms_norm") && row.contains("[6]") && row.hasSuffix("6"), "\(table)")
}

@Test("mistakes in an rms_norm layer name the key and what is valid", arguments: [
    ("{type: rms_norm, eps: 0}", "job.model.layers[0].eps", "0.0 must be in [1e-30, 1]"),
    ("{type: rms_norm, eps: 2}", "job.model.layers[0].eps", "added to the mean square"),
    ("{type: rms_norm, eps: small}", "job.model.layers[0].eps", "expected a number"),
    ("{type: rms_norm, epsilon: 0.001}", "job.model.layers[0].epsilon", "'epsilon' is not an option of a rms_norm layer (rms_norm takes eps)"),
    ("{type: rms_nrm}", "job.model.layers[0].type", "did you mean 'rms_norm'"),
])
func badRMSNormConfig(layer: String, keyPath: String, fragment: String) {
    BadConfig(label: layer, yaml: job + "  model: {layers: [\(layer)]}\n", line: nil, keyPath: keyPath, fragments: [fragment])
        .expectReported(in: "") { _ = try load($0) }
}

@Test("every declared kind has a distinct type name, and its options distinct keys")
func declarationsAreDistinct() {
    let names = LayerType.all.map(\.name)
    #expect(Set(names).count == names.count)
    for type in LayerType.all {
        let keys = type.options.map(\.key)
        #expect(Set(keys).count == keys.count && !keys.contains("type") && !keys.contains("name"), "\(type.name)")
    }
}

@Test("transformer_block takes norm: rms_norm, writes it back, and leaves the default out as before")
func transformerBlockNorm() throws {
    let block = "  model: {layers: [{type: embedding, vocab: 16, dim: 8}, {type: transformer_block, heads: 2, mlp: 16%@}]}\n"
    let rms = try load(job + block.replacingOccurrences(of: "%@", with: ", norm: rms_norm"))
    #expect(rms.job.model.layers[1].kind == .transformerBlock(heads: 2, mlp: 16, causal: true, activation: .gelu_tanh, rmsNorm: true))
    let written = ResolvedConfig.yaml(job: rms.job)
    #expect(written.contains("      activation: gelu_tanh\n      norm: rms_norm\n"), "\(written)")
    #expect(try RunConfig(file: ConfigFile.parse(text: written, path: "resolved.yaml")).job == rms.job)
    let plain = try load(job + block.replacingOccurrences(of: "%@", with: ""))
    let explicit = try load(job + block.replacingOccurrences(of: "%@", with: ", norm: layer_norm"))
    #expect(!ResolvedConfig.yaml(job: plain.job).contains("norm:"))
    #expect(ResolvedConfig.hash(job: explicit.job) == ResolvedConfig.hash(job: plain.job))
}

/// A minimal `layers:` list using each declared kind, the sample shape it takes and its outputs.
private let minimalLayers: [String: (layers: String, sample: [Int])] = [
    "dense": ("{type: dense, units: 2}", [3]),
    "conv2d": ("{type: conv2d, channels: 2, kernel: 3}, {type: flatten}, {type: dense, units: 2}", [1, 4, 4]),
    "max_pool": ("{type: max_pool}, {type: flatten}, {type: dense, units: 2}", [1, 4, 4]),
    "avg_pool": ("{type: avg_pool}, {type: flatten}, {type: dense, units: 2}", [1, 4, 4]),
    "global_avg_pool": ("{type: global_avg_pool}, {type: dense, units: 2}", [1, 4, 4]),
    "flatten": ("{type: flatten}, {type: dense, units: 2}", [1, 4, 4]),
    "dropout": ("{type: dropout, rate: 0.1}, {type: dense, units: 2}", [3]),
    "activation": ("{type: activation, function: relu}, {type: dense, units: 2}", [3]),
    "layer_norm": ("{type: layer_norm}, {type: dense, units: 2}", [3]),
    "batch_norm": ("{type: batch_norm}, {type: dense, units: 2}", [3]),
    "residual": ("{type: residual, layers: [{type: dense, units: 3}]}, {type: dense, units: 2}", [3]),
    "embedding": ("{type: embedding, vocab: 8, dim: 4}, {type: flatten}, {type: dense, units: 2}", [5]),
    "position_embedding": ("{type: embedding, vocab: 8, dim: 4}, {type: position_embedding}, {type: flatten}, {type: dense, units: 2}", [5]),
    "attention": ("{type: embedding, vocab: 8, dim: 4}, {type: attention, heads: 2}, {type: flatten}, {type: dense, units: 2}", [5]),
    "transformer_block": ("{type: embedding, vocab: 8, dim: 4}, {type: transformer_block, heads: 2, mlp: 8}, {type: flatten}, {type: dense, units: 2}", [5]),
    "rms_norm": ("{type: rms_norm}, {type: dense, units: 2}", [3]),
]

@Test("every declared kind parses from a minimal config and builds", arguments: LayerType.all.map(\.name))
func everyKindBuilds(_ name: String) throws {
    let minimal = try #require(minimalLayers[name], "no minimal config for \(name)")
    let config = try load(job + "  model: {layers: [\(minimal.layers)]}\n")
    let layers = try config.job.model.layers(sampleShape: minimal.sample, outputs: 2)
    #expect(layers.contains { LayerType.label(of: $0) == name }, "\(name): built \(layers.map(LayerType.label))")
    let again = try RunConfig(file: ConfigFile.parse(text: ResolvedConfig.yaml(job: config.job), path: "resolved.yaml"))
    #expect(again.job == config.job, "\(name)")
}

@Test("every declared kind has a minimal config in the table above")
func everyKindIsCovered() {
    #expect(Set(minimalLayers.keys) == Set(LayerType.all.map(\.name)))
}

@Test("a norm's eps must stay a normal Float: below 1e-30 is refused, naming the key and the range", arguments: [
    ("{type: rms_norm, eps: 1e-50}", "1e-50 must be in [1e-30, 1]", "added to the mean square"),
    ("{type: rms_norm, eps: 1e-40}", "1e-40 must be in [1e-30, 1]", "added to the mean square"),
    ("{type: batch_norm, eps: 1e-50}", "1e-50 must be in [1e-30, 1]", "added to the variance"),
    ("{type: batch_norm, eps: 1.5}", "1.5 must be in [1e-30, 1]", "added to the variance"),
])
func tinyEpsRefused(layer: String, message: String, hint: String) {
    do {
        _ = try load(job + "  model: {layers: [\(layer), {type: dense, units: 2}]}\n")
        Issue.record("\(layer): expected an error")
    } catch let error as ConfigError {
        #expect(error.keyPath == "job.model.layers[0].eps", "\(layer): \(error)")
        #expect(error.description.contains(message) && error.description.contains(hint), "\(layer): \(error)")
    } catch {
        Issue.record("\(layer): \(error)")
    }
}

@Test("eps at the ends of [1e-30, 1] is accepted, and an all-zero row stays finite")
func epsBoundsAccepted() throws {
    for eps in ["1e-30", "1", "1.0e-6"] {
        let config = try load(job + "  model: {layers: [{type: rms_norm, eps: \(eps)}, {type: batch_norm, eps: \(eps)}, {type: dense, units: 2}]}\n")
        let network = try config.job.model.build(sampleShape: [3], outputs: 2, seed: 1)
        let zeros = [Float](repeating: 0, count: 6)
        let out = zeros.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: network.layers[0].forward($0.baseAddress!, batch: 2, context: ForwardContext()), count: 6)) }
        #expect(out.allSatisfy { $0.isFinite }, "eps \(eps): \(out)")
    }
}
