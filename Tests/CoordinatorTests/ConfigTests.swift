// Config tests: good configs resolve to the expected job, every kind of mistake is reported
// with its line, key path and a hint, and resolved.yaml reads back to the same job.
import Foundation
import Testing
@testable import Coordinator
import Model
import Worker

/// A small CSV dataset on disk, so configs can name real files.
/// A temporary folder holding train.csv, where the test configs live.
let csvDirectory: String = {
    let dir = NSTemporaryDirectory() + "ringtrain-config-tests-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try? "a,b,label\n1,2,x\n3,4,y\n5,6,x\n".write(toFile: dir + "/train.csv", atomically: false, encoding: .utf8)
    return dir
}()

/// `text` parsed as a config file in `csvDirectory`, `overrides` applied.
func load(_ text: String, overrides: [String] = []) throws -> RunConfig {
    try RunConfig(file: ConfigFile.parse(text: text, path: csvDirectory + "/test.yaml", overrides: overrides))
}

private let csvJob = """
job:
  dataset:
    train: train.csv
    label: label

"""

@Test("a minimal config gets every default")
func minimalConfigDefaults() throws {
    let config = try load(csvJob)
    let job = config.job
    #expect(job.batchSize == 128)
    #expect(job.epochs == 10)
    #expect(job.ranks == 1)
    #expect(job.model == ModelSpec())
    #expect(job.optimizer.kind == .sgd)
    #expect(job.optimizer.learningRate == 0.05)
    #expect(job.dataset.source == .csv(train: csvDirectory + "/train.csv", test: nil, labelColumns: ["label"], task: .classification))
    #expect(config.cluster == ClusterSpec())
    #expect(job.averaging == .sharded && !job.overlap)
}

@Test("overlap without sharded_update turns the default sharded update off; each can be chosen")
func averagingChoices() throws {
    func averaging(_ keys: String) throws -> (GradientAveraging, Bool) {
        let job = try load(csvJob.replacingOccurrences(of: "job:\n", with: "job:\n" + keys)).job
        return (job.averaging, job.shardedUpdate)
    }
    #expect(try averaging("  overlap: true\n") == (.overlap, false))
    #expect(try averaging("  sharded_update: false\n") == (.oneCall, false))
    #expect(try averaging("  overlap: false\n  sharded_update: true\n") == (.sharded, true))
    #expect(try averaging("  overlap: true\n  sharded_update: false\n") == (.overlap, false))
}

@Test("every key of the job section is read")
func fullJobIsRead() throws {
    let config = try load(csvJob.replacingOccurrences(of: "job:\n", with: "job:\n  name: exp-1\n  seed: 9\n  batch_size: 64\n  epochs: 3\n  ranks: 2\n  accumulate: 2\n  tail: pad\n  loss: cross_entropy\n  overlap: true\n  bucket_kb: 64\n  sharded_update: false\n") + """
      model: {type: mlp, hidden: [32, 16], activation: gelu, dropout: 0.25}
      optimizer: {name: adamw, lr: 0.003, beta1: 0.8, beta2: 0.99, eps: 1.0e-7, weight_decay: 0.01, clip_norm: 1.5}
      schedule: {name: cosine, warmup_steps: 100, min_lr: 0.0001}
    cluster:
      hosts: [{host: node1, slots: 2}, {host: node2, slots: 2}]
      mpirun_args: ["--mca", "btl", "tcp,self"]
      env: {NCCL_DEBUG: INFO}
      network: 10.0.0.0/24
      failure_timeout: 30
    """)
    let job = config.job
    #expect(job.name == "exp-1" && job.seed == 9 && job.batchSize == 64 && job.epochs == 3)
    #expect(job.ranks == 2 && job.accumulate == 2 && job.tail == .pad && job.loss == .crossEntropy)
    #expect(job.overlap && job.bucketBytes == 65_536)
    #expect(job.model == ModelSpec(kind: .mlp, hidden: [32, 16], activation: .gelu, dropout: 0.25))
    #expect(job.optimizer == OptimizerSpec(kind: .adamw, learningRate: 0.003, beta1: 0.8, beta2: 0.99, epsilon: 1e-7,
                                           weightDecay: 0.01, clipNorm: 1.5))
    #expect(job.schedule == ScheduleSpec(kind: .cosine, warmupSteps: 100, minLearningRate: 0.0001))
    #expect(config.cluster.hosts == [HostSlots(host: "node1", slots: 2), HostSlots(host: "node2", slots: 2)])
    #expect(config.cluster.mpirunArgs == ["--mca", "btl", "tcp,self"])
    #expect(config.cluster.environment == ["NCCL_DEBUG": "INFO"])
    #expect(config.cluster.network == "10.0.0.0/24" && config.cluster.failureTimeout == 30)
}

private let badConfigs: [BadConfig] = [
    BadConfig(label: "a host name mpirun would split", yaml: csvJob + "  epochs: 1\ncluster:\n  hosts: ['a,b']\n", line: 7,
              keyPath: "cluster.hosts[0]", fragments: ["'a,b' is not a host name"]),
    BadConfig(label: "slots after a colon (mpirun's form, which ringtrain would not count)", yaml: csvJob + "  epochs: 1\ncluster:\n  hosts: ['a:3']\n", line: 7,
              keyPath: "cluster.hosts[0]", fragments: ["'a:3' is not a host name", "{host: node1, slots: 4}"]),
    BadConfig(label: "an IPv6 address (Open MPI 4 takes none as a node name)", yaml: csvJob + "  epochs: 1\ncluster:\n  hosts: [node1, {host: 'fe80::2', slots: 2}]\n", line: 7,
              keyPath: "cluster.hosts[1].host", fragments: ["'fe80::2' is an IPv6 address", "IPv4 address"]),
    BadConfig(label: "a host given as an option", yaml: csvJob + "  epochs: 1\ncluster:\n  hosts: [{host: '-np', slots: 2}]\n", line: 7,
              keyPath: "cluster.hosts[0].host", fragments: ["'-np' is not a host name"]),
    BadConfig(label: "an environment name with '='", yaml: csvJob + "  epochs: 1\ncluster:\n  env: {'A=B': x}\n", line: 7,
              keyPath: "cluster.env.A=B", fragments: ["'A=B' is not an environment variable name"]),
    BadConfig(label: "unknown key with did-you-mean", yaml: csvJob + "  epocs: 3\n", line: 5, keyPath: "job.epocs",
              fragments: ["unknown key 'epocs'", "did you mean 'epochs'"]),
    BadConfig(label: "wrong type", yaml: csvJob + "  epochs: many\n", line: 5, keyPath: "job.epochs",
              fragments: ["expected a whole number", "'many'"]),
    BadConfig(label: "out of range", yaml: csvJob + "  batch_size: 0\n", line: 5, keyPath: "job.batch_size",
              fragments: ["out of range"]),
    BadConfig(label: "bad choice", yaml: csvJob + "  optimizer: {name: adamm}\n", line: 5, keyPath: "job.optimizer.name",
              fragments: ["'adamm' is not valid", "did you mean 'adam'", "sgd, adam, adamw"]),
    BadConfig(label: "batch not divisible by ranks", yaml: csvJob + "  ranks: 3\n  batch_size: 128\n", line: 6,
              keyPath: "job.batch_size", fragments: ["not divisible", "try batch_size 129"]),
    BadConfig(label: "missing dataset", yaml: "job:\n  epochs: 2\n", line: 2, keyPath: "job",
              fragments: ["missing required key 'dataset'"]),
    BadConfig(label: "missing file", yaml: "job:\n  dataset:\n    train: nothere.csv\n    label: y\n", line: 3,
              keyPath: "job.dataset.train", fragments: ["file not found", "nothere.csv"]),
    BadConfig(label: "unknown top-level section", yaml: csvJob + "sweeps: {}\n", line: 5, keyPath: "sweeps",
              fragments: ["did you mean 'sweep'"]),
    BadConfig(label: "YAML syntax error", yaml: "job:\n  dataset: [unclosed\n", line: nil, keyPath: "",
              fragments: ["invalid YAML"]),
    BadConfig(label: "duplicate key", yaml: csvJob + "  epochs: 2\n  epochs: 3\n", line: nil, keyPath: "",
              fragments: ["duplicate key"]),
    BadConfig(label: "ranks exceed slots", yaml: csvJob + "  ranks: 4\n  batch_size: 128\ncluster:\n  hosts: [{host: a, slots: 2}]\n",
              line: 5, keyPath: "job.ranks", fragments: ["do not fit the 2 slots", "oversubscribe"]),
    BadConfig(label: "cnn on tabular options", yaml: csvJob + "  model: {type: mlp, channels: [4]}\n", line: 5,
              keyPath: "job.model.channels", fragments: ["type: cnn only"]),
    BadConfig(label: "IDX key in CSV data", yaml: csvJob.replacingOccurrences(of: "    label: label\n", with: "    label: label\n    dir: /tmp\n"),
              line: 5, keyPath: "job.dataset.dir", fragments: ["is for IDX data"]),
    BadConfig(label: "overlap not a boolean", yaml: csvJob + "  overlap: sometimes\n", line: 5, keyPath: "job.overlap",
              fragments: ["'sometimes'"]),
    BadConfig(label: "sharded update with overlap", yaml: csvJob + "  overlap: true\n  sharded_update: true\n", line: 6,
              keyPath: "job.sharded_update", fragments: ["cannot both be on"]),
    BadConfig(label: "validation count not below the subset",
              yaml: csvJob.replacingOccurrences(of: "    label: label\n", with: "    label: label\n    validation: 500\n    subset: 200\n"),
              line: 6, keyPath: "job.dataset.subset", fragments: ["validation 500 leaves no training samples out of subset 200", "validation: 20"]),
    BadConfig(label: "bucket size zero", yaml: csvJob + "  bucket_kb: 0\n", line: 5, keyPath: "job.bucket_kb",
              fragments: ["out of range"]),
    BadConfig(label: "empty file", yaml: "", line: nil, keyPath: "", fragments: ["empty"]),
]

@Test("bad configs are reported with line, key path and a hint", arguments: badConfigs)
func badConfigIsReported(_ bad: BadConfig) {
    bad.expectReported(in: "test.yaml") { _ = try load($0) }
}

@Test("--set overrides replace values and report their own mistakes")
func overrides() throws {
    let config = try load(csvJob, overrides: ["job.epochs=3", "job.optimizer.lr=0.5", "job.model.hidden=[8]"])
    #expect(config.job.epochs == 3)
    #expect(config.job.optimizer.learningRate == 0.5)
    #expect(config.job.model.hidden == [8])
    #expect(throws: ConfigError.self) { try load(csvJob, overrides: ["job.epochs"]) }
    do {
        _ = try load(csvJob, overrides: ["job.epochs=lots"])
        Issue.record("expected an error")
    } catch let error as ConfigError {
        #expect(error.file == "--set job.epochs=lots")
        #expect(error.description.contains("expected a whole number"))
    }
}

@Test("resolved.yaml reads back to the same job and cluster")
func resolvedRoundTrip() throws {
    let original = try load(csvJob + "  model: {type: cnn, channels: [4, 8], kernel: 3}\n  optimizer: {name: adam, lr: 0.01, clip_norm: 2}\n  schedule: {name: step, step_size: 50, gamma: 0.5}\ncluster:\n  hosts: [{host: a, slots: 2}]\n  env: {X: \"1\"}\n")
    let yaml = ResolvedConfig.yaml(job: original.job, cluster: original.cluster)
    let again = try RunConfig(file: ConfigFile.parse(text: yaml, path: "resolved.yaml"))
    #expect(again.job == original.job, "\(yaml)")
    #expect(again.cluster == original.cluster)
}

@Test("a declared model reads back from resolved.yaml, and --set reaches a layer's option by index")
func declaredModelConfig() throws {
    let model = """
      model:
        layers:
          - {type: conv2d, channels: 4, kernel: 3, padding: 1, name: stem}
          - type: residual
            layers: [{type: layer_norm}, {type: dense, units: 4, init: he}, {type: activation, function: silu}]
          - {type: global_avg_pool}
          - {type: dropout, rate: 0.1}
          - {type: dense, units: 2}

    """
    let original = try load(csvJob + model)
    #expect(original.job.model.kind == .layers && original.job.model.layers.count == 5)
    let yaml = ResolvedConfig.yaml(job: original.job, cluster: original.cluster)
    let again = try RunConfig(file: ConfigFile.parse(text: yaml, path: "resolved.yaml"))
    #expect(again.job == original.job, "\(yaml)")
    let changed = try load(csvJob + model, overrides: ["job.model.layers[4].units=3", "job.model.layers[1].layers[1].units=6"])
    #expect(changed.job.model.layers[4].kind == .dense(units: 3, init: nil))
    let residual = changed.job.model.layers[1].kind
    guard residual.type == .residual, let inner = residual.options.layers("layers") else { Issue.record("not a residual"); return }
    #expect(inner[1].kind == .dense(units: 6, init: .he))
    do {
        _ = try load(csvJob + model, overrides: ["job.model.layers[9].units=3"])
        Issue.record("expected an error")
    } catch let error as ConfigError {
        #expect(error.description.contains("model.layers has no element [9] (it has 5)"), "\(error)")
    }
}

@Test("batch_norm reads its options (defaults 0.1 and 1e-5), back from resolved.yaml too, and validate shows it")
func batchNormConfig() throws {
    let model = "  model: {layers: [{type: dense, units: 6}, {type: batch_norm, name: bn1}, {type: batch_norm, momentum: 0.05, eps: 0.001}, {type: dense, units: 2}]}\n"
    let original = try load(csvJob + model)
    #expect(original.job.model.layers[1].kind == .batchNorm(momentum: 0.1, eps: 1e-5))
    #expect(original.job.model.layers[2].kind == .batchNorm(momentum: 0.05, eps: 0.001))
    let yaml = ResolvedConfig.yaml(job: original.job, cluster: original.cluster)
    let again = try RunConfig(file: ConfigFile.parse(text: yaml, path: "resolved.yaml"))
    #expect(again.job == original.job, "\(yaml)")
    let table = try ModelTable.text(model: original.job.model, sampleShape: [4], outputs: 2)
    let row = try #require(table.split(separator: "\n").first { $0.contains("bn1") })
    #expect(row.contains("batch_norm") && row.contains("[6]") && row.hasSuffix("12"), "\(table)")
}

@Test("mistakes in declared layers name the layer's key path", arguments: [
    ("{type: dense}", "job.model.layers[0]", "missing required key 'units'"),
    ("{type: dens, units: 3}", "job.model.layers[0].type", "did you mean 'dense'"),
    ("{type: dense, units: 3, heads: 4}", "job.model.layers[0].heads", "'heads' is not an option of a dense layer"),
    ("{type: conv2d, channels: 4, kernel: 0}", "job.model.layers[0].kernel", "out of range"),
    ("{type: activation, function: swish}", "job.model.layers[0].function", "relu"),
    ("{type: dense, units: 3, name: 'a b'}", "job.model.layers[0].name", "not a usable parameter name"),
    ("{type: residual, layers: [{type: dropout, rate: 2}]}", "job.model.layers[0].layers[0].rate", "out of range"),
    ("{type: batch_norm, momentum: 1.5}", "job.model.layers[0].momentum", "1.5 must be in [0, 1]"),
    ("{type: batch_norm, eps: 0}", "job.model.layers[0].eps", "must be in [1e-30, 1]"),
    ("{type: batch_norm, epsilon: 0.001}", "job.model.layers[0].epsilon", "batch_norm takes momentum, eps"),
])
func badLayerConfig(layer: String, keyPath: String, fragment: String) {
    BadConfig(label: layer, yaml: csvJob + "  model: {layers: [\(layer)]}\n", line: nil, keyPath: keyPath, fragments: [fragment])
        .expectReported(in: "") { _ = try load($0) }
}

@Test("an embedding needs its token ids as written, and list indices in --set are plain numbers")
func embeddingAndIndexRules() {
    let tokens = "  model: {layers: [{type: embedding, vocab: 8, dim: 4}, {type: flatten}, {type: dense, units: 2}]}\n"
    do {
        _ = try load(csvJob + tokens)
        Issue.record("expected an error")
    } catch let error as ConfigError {
        #expect(error.keyPath == "job.dataset" && error.description.contains("add normalize: none"), "\(error)")
    } catch { Issue.record("\(error)") }
    #expect((try? load(csvJob.replacingOccurrences(of: "    label: label\n", with: "    label: label\n    normalize: none\n") + tokens)) != nil)
    for bad in ["job.model.layers[01].units=3", "job.model.layers[+1].units=3", "job.model.layers[].units=3"] {
        do {
            _ = try load(csvJob + "  model: {layers: [{type: dense, units: 4}, {type: dense, units: 2}]}\n", overrides: [bad])
            Issue.record("\(bad): expected an error")
        } catch let error as ConfigError {
            #expect(error.file == "--set \(bad)" && error.message.contains("is not a key or key[index]"), "\(error)")
        } catch { Issue.record("\(error)") }
    }
}

@Test("host names pass: names, IPv4 addresses, user@host; an empty env value stays empty")
func hostNamesAndEmptyEnvironmentValues() throws {
    let config = try load(csvJob + "  epochs: 1\ncluster:\n  hosts: [node-01.example.org, user@node2, {host: 10.0.0.2, slots: 2}]\n  env: {FOO: ~, BAR: }\n")
    #expect(config.cluster.hosts.map(\.host) == ["node-01.example.org", "user@node2", "10.0.0.2"])
    #expect(config.cluster.environment == ["FOO": "", "BAR": ""])
}
