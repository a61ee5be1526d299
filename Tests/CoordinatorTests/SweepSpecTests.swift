// Sweep spec tests: good sweep sections parse to the expected spec (W&B inference rules included),
// and every kind of mistake is reported with its line, key path and what would be valid.
import Foundation
import Testing
@testable import Coordinator

/// The config tests' folder (`csvDirectory`, with train.csv) plus an executable script and a
/// Python file, so sweep configs can name real files.
let sweepDirectory: String = {
    let dir = csvDirectory
    try? "#!/bin/sh\necho '{\"score\": 1}'\n".write(toFile: dir + "/objective.sh", atomically: false, encoding: .utf8)
    try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir + "/objective.sh")
    try? "print(1)\n".write(toFile: dir + "/train.py", atomically: false, encoding: .utf8)
    return dir
}()

/// A job section (lines 1-4) followed by `sweep`.
let sweepJob = "job:\n  dataset:\n    train: train.csv\n    label: label\n"

func loadSweep(_ sweep: String, job: String = sweepJob, overrides: [String] = []) throws -> (RunConfig, SweepSpec) {
    let config = try RunConfig(file: ConfigFile.parse(text: job + sweep, path: sweepDirectory + "/sweep.yaml", overrides: overrides))
    return (config, try #require(try config.sweepSpec()))
}

@Test("a full sweep section is read, with every default stated")
func fullSweepIsRead() throws {
    let (_, spec) = try loadSweep("""
    sweep:
      method: random
      metric: {name: val_acc, goal: maximize}
      run_cap: 20
      parallel: 2
      max_retries: 3
      seed: 7
      early_terminate: {type: hyperband, min_iter: 1, eta: 2}
      parameters:
        optimizer.lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
        model.hidden: {values: [[64, 32], [128]]}
    """)
    #expect(spec.method == .random && spec.runCap == 20 && spec.parallel == 2 && spec.maxRetries == 3 && spec.seed == 7)
    #expect(spec.metric == SweepMetric(name: "val_acc", goal: .maximize))
    #expect(spec.earlyTerminate == EarlyTerminationSpec(minIter: 1, eta: 2) && spec.earlyTerminate?.pause == false)
    let (_, pausing) = try loadSweep("sweep:\n  method: grid\n  metric: {name: val_loss}\n  parameters:\n    epochs: {values: [1, 2, 3]}\n"
                                     + "  early_terminate: {type: hyperband, min_iter: 1, pause: true}\n")
    #expect(pausing.earlyTerminate == EarlyTerminationSpec(minIter: 1, eta: 3, pause: true))
    #expect(spec.earlyTerminate?.milestones(epochs: 10) == [1, 2, 4, 8])
    #expect(spec.program == nil)
    #expect(spec.space.parameters == [
        SweepParameter(name: "optimizer.lr", distribution: .logUniformValues(min: 0.0001, max: 0.1)),
        SweepParameter(name: "model.hidden", distribution: .categorical([.list([.int(64), .int(32)]), .list([.int(128)])])),
    ])

    let (_, minimal) = try loadSweep("sweep:\n  method: grid\n  metric: {name: val_loss}\n  parameters:\n    epochs: {values: [1, 2, 3]}\n")
    #expect(minimal.metric.goal == .minimize && minimal.parallel == 1 && minimal.maxRetries == 1 && minimal.seed == 0)
    #expect(minimal.runCap == 3 && minimal.earlyTerminate == nil)
}

/// A parameter definition and the distribution W&B's rules give it.
struct InferenceCase: CustomTestStringConvertible, Sendable {
    let label: String
    let yaml: String
    let expected: ParameterDistribution
    var testDescription: String { label }
}

private let inferenceCases: [InferenceCase] = [
    InferenceCase(label: "values → categorical", yaml: "{values: [relu, tanh]}", expected: .categorical([.string("relu"), .string("tanh")])),
    InferenceCase(label: "value → constant", yaml: "{value: 0.5}", expected: .constant(.double(0.5))),
    InferenceCase(label: "int min/max → int_uniform", yaml: "{min: 1, max: 4}", expected: .intUniform(min: 1, max: 4)),
    InferenceCase(label: "float min/max → uniform", yaml: "{min: 0.0, max: 1}", expected: .uniform(min: 0, max: 1)),
    InferenceCase(label: "mixed values types", yaml: "{values: [1, 0.5, \"2\", true, [3]]}",
                  expected: .categorical([.int(1), .double(0.5), .string("2"), .bool(true), .list([.int(3)])])),
    InferenceCase(label: "q_uniform with default q", yaml: "{distribution: q_uniform, min: 0, max: 10}", expected: .qUniform(min: 0, max: 10, q: 1)),
    InferenceCase(label: "q_log_uniform_values", yaml: "{distribution: q_log_uniform_values, min: 8, max: 512, q: 8}",
                  expected: .qLogUniformValues(min: 8, max: 512, q: 8)),
    InferenceCase(label: "log_uniform takes exponents", yaml: "{distribution: log_uniform, min: 0, max: 0}",
                  expected: .logUniformValues(min: 1, max: 1)),
    InferenceCase(label: "normal defaults", yaml: "{distribution: normal}", expected: .normal(mu: 0, sigma: 1)),
    InferenceCase(label: "log_normal", yaml: "{distribution: log_normal, mu: -2, sigma: 0.5}", expected: .logNormal(mu: -2, sigma: 0.5)),
    InferenceCase(label: "explicit categorical", yaml: "{distribution: categorical, values: [1]}", expected: .categorical([.int(1)])),
    InferenceCase(label: "explicit uniform over ints", yaml: "{distribution: uniform, min: 1, max: 2}", expected: .uniform(min: 1, max: 2)),
]

@Test("W&B inference rules", arguments: inferenceCases)
func inference(_ c: InferenceCase) throws {
    let node = try ConfigFile.parse(text: "p: \(c.yaml)\n", path: "p.yaml").root
    let value = try #require(try node.table(allowed: nil)["p"])
    #expect(try ParameterParser.parse(value) == c.expected)
}

/// Sweep lines 5-7; parameters start on line 8.
private func sweep(_ parameters: String, method: String = "random", extra: String = "  run_cap: 5\n") -> String {
    "sweep:\n  method: \(method)\n  metric: {name: val_loss}\n" + extra + "  parameters:\n" + parameters
}

private let badSweeps: [BadConfig] = [
    BadConfig(label: "a range wider than a double holds", yaml: sweep("    optimizer.lr: {min: -1e308, max: 1e308}\n"), line: 10,
              keyPath: "sweep.parameters.optimizer.lr.min", fragments: ["wider than a double"]),
    BadConfig(label: "log_uniform whose exp leaves the doubles", yaml: sweep("    optimizer.lr: {distribution: log_uniform, min: -1000, max: 1}\n"),
              line: 10, keyPath: "sweep.parameters.optimizer.lr.min", fragments: ["natural logarithms", "-700 and 700"]),
    BadConfig(label: "log_normal draws that overflow", yaml: sweep("    optimizer.lr: {distribution: log_normal, mu: 1000, sigma: 1}\n"),
              line: 10, keyPath: "sweep.parameters.optimizer.lr.mu", fragments: ["overflow", "at most 700"]),
    BadConfig(label: "normal draws that overflow", yaml: sweep("    optimizer.lr: {distribution: normal, mu: 1e308, sigma: 1e308}\n"),
              line: 10, keyPath: "sweep.parameters.optimizer.lr.mu", fragments: ["overflow"]),
    BadConfig(label: "a dotted parameter repeated by a nested one",
              yaml: sweep("    optimizer.lr: {values: [0.1]}\n    optimizer: {parameters: {lr: {values: [0.2]}}}\n"), line: 11,
              keyPath: "sweep.parameters.optimizer.parameters.lr", fragments: ["'optimizer.lr' is given twice"]),
    BadConfig(label: "a nested parameter repeated by a dotted one",
              yaml: sweep("    optimizer: {parameters: {lr: {values: [0.2]}}}\n    optimizer.lr: {values: [0.1]}\n"), line: 11,
              keyPath: "sweep.parameters.optimizer.lr", fragments: ["'optimizer.lr' is given twice"]),
    BadConfig(label: "unknown sweep key", yaml: sweep("    epochs: {value: 2}\n") + "  paralel: 2\n", line: 11,
              keyPath: "sweep.paralel", fragments: ["unknown key 'paralel'", "did you mean 'parallel'"]),
    BadConfig(label: "unknown method", yaml: sweep("    epochs: {value: 2}\n", method: "grdi"), line: 6, keyPath: "sweep.method",
              fragments: ["'grdi' is not valid", "did you mean 'grid'"]),
    BadConfig(label: "missing metric", yaml: "sweep:\n  method: grid\n  parameters: {epochs: {value: 1}}\n", line: 6,
              keyPath: "sweep", fragments: ["missing required key 'metric'"]),
    BadConfig(label: "metric without name", yaml: "sweep:\n  method: grid\n  metric: {goal: maximize}\n  parameters: {epochs: {value: 1}}\n",
              line: 7, keyPath: "sweep.metric", fragments: ["missing required key 'name'"]),
    BadConfig(label: "unknown metric", yaml: "sweep:\n  method: grid\n  metric: {name: val_ac}\n  parameters: {epochs: {value: 1}}\n",
              line: 7, keyPath: "sweep.metric.name", fragments: ["did you mean 'val_acc'"]),
    BadConfig(label: "bad goal", yaml: "sweep:\n  method: grid\n  metric: {name: val_acc, goal: max}\n  parameters: {epochs: {value: 1}}\n",
              line: 7, keyPath: "sweep.metric.goal", fragments: ["minimize, maximize"]),
    BadConfig(label: "random without run_cap", yaml: sweep("    epochs: {value: 2}\n", extra: ""), line: 6, keyPath: "sweep",
              fragments: ["missing required key 'run_cap'"]),
    BadConfig(label: "run_cap below 1", yaml: sweep("    epochs: {value: 2}\n", extra: "  run_cap: 0\n"), line: 8,
              keyPath: "sweep.run_cap", fragments: ["out of range", "1 or more"]),
    BadConfig(label: "parallel below 1", yaml: sweep("    epochs: {value: 2}\n", extra: "  run_cap: 5\n  parallel: 0\n"), line: 9,
              keyPath: "sweep.parallel", fragments: ["out of range"]),
    BadConfig(label: "unknown parameter key", yaml: sweep("    epochs: {valuez: [1]}\n"), line: 10, keyPath: "sweep.parameters.epochs.valuez",
              fragments: ["unknown key 'valuez'", "did you mean 'value'"]),
    BadConfig(label: "min above max", yaml: sweep("    optimizer.lr:\n      min: 0.5\n      max: 0.1\n"), line: 11,
              keyPath: "sweep.parameters.optimizer.lr.min", fragments: ["above max"]),
    BadConfig(label: "log range with min 0", yaml: sweep("    optimizer.lr: {distribution: log_uniform_values, min: 0, max: 0.1}\n"), line: 10,
              keyPath: "sweep.parameters.optimizer.lr.min", fragments: ["needs min above 0"]),
    BadConfig(label: "grid over a continuous range", yaml: sweep("    optimizer.lr: {min: 0.001, max: 0.1}\n", method: "grid"), line: 10,
              keyPath: "sweep.parameters.optimizer.lr", fragments: ["grid search cannot enumerate", "values: [...]"]),
    BadConfig(label: "q ≤ 0", yaml: sweep("    batch_size: {distribution: q_uniform, min: 16, max: 64, q: 0}\n"), line: 10,
              keyPath: "sweep.parameters.batch_size.q", fragments: ["q must be above 0"]),
    BadConfig(label: "sigma ≤ 0", yaml: sweep("    optimizer.lr: {distribution: log_normal, mu: -3, sigma: -1}\n"), line: 10,
              keyPath: "sweep.parameters.optimizer.lr.sigma", fragments: ["sigma must be above 0"]),
    BadConfig(label: "empty values", yaml: sweep("    epochs: {values: []}\n"), line: 10, keyPath: "sweep.parameters.epochs.values",
              fragments: ["values list is empty"]),
    BadConfig(label: "unknown distribution", yaml: sweep("    epochs: {distribution: int_uniforme, min: 1, max: 3}\n"), line: 10,
              keyPath: "sweep.parameters.epochs.distribution", fragments: ["did you mean 'int_uniform'"]),
    BadConfig(label: "key not used by the distribution", yaml: sweep("    epochs: {distribution: normal, min: 1}\n"), line: 10,
              keyPath: "sweep.parameters.epochs.min", fragments: ["does not apply to distribution normal"]),
    BadConfig(label: "int_uniform with fractions", yaml: sweep("    epochs: {distribution: int_uniform, min: 1.5, max: 3}\n"), line: 10,
              keyPath: "sweep.parameters.epochs.min", fragments: ["expected a whole number"]),
    BadConfig(label: "not a job key path", yaml: sweep("    optimizer.lrr: {values: [0.1]}\n"), line: 10,
              keyPath: "sweep.parameters.optimizer.lrr", fragments: ["does not fit the job", "did you mean 'lr'"]),
    BadConfig(label: "job value out of range", yaml: sweep("    model.dropout: {values: [1.5]}\n"), line: 10,
              keyPath: "sweep.parameters.model.dropout", fragments: ["does not fit the job", "out of range"]),
    BadConfig(label: "job. prefix", yaml: sweep("    job.epochs: {values: [1]}\n"), line: 10,
              keyPath: "sweep.parameters.job.epochs", fragments: ["write 'epochs'"]),
    BadConfig(label: "no parameters", yaml: "sweep:\n  method: grid\n  metric: {name: val_loss}\n  parameters: {}\n", line: 8,
              keyPath: "sweep.parameters", fragments: ["no parameters"]),
    BadConfig(label: "hyperband without min_iter", yaml: sweep("    epochs: {value: 2}\n", extra: "  run_cap: 5\n  early_terminate: {type: hyperband, eta: 3}\n"), line: 9, keyPath: "sweep.early_terminate", fragments: ["needs min_iter"]),
    BadConfig(label: "hyperband eta 1", yaml: sweep("    epochs: {value: 2}\n", extra: "  run_cap: 5\n  early_terminate: {type: hyperband, min_iter: 1, eta: 1}\n"), line: 9, keyPath: "sweep.early_terminate.eta", fragments: ["2 or more"]),
    BadConfig(label: "pause for a program", yaml: sweep("    x: {value: 2}\n", extra: "  run_cap: 5\n  program: /bin/true\n"
                                                                + "  early_terminate: {type: hyperband, min_iter: 1, pause: true}\n"),
              line: 10, keyPath: "sweep.early_terminate.pause", fragments: ["needs training trials", "remove pause"]),
    BadConfig(label: "pause not a boolean", yaml: sweep("    epochs: {value: 2}\n", extra: "  run_cap: 5\n  early_terminate: {type: hyperband, min_iter: 1, pause: yes please}\n"),
              line: 9, keyPath: "sweep.early_terminate.pause", fragments: ["true or false"]),
    BadConfig(label: "unknown command macro", yaml: sweep("    x: {value: 2}\n", extra: "  run_cap: 5\n  command: [sh, \"${progam}\", \"${args}\"]\n"),
              line: 9, keyPath: "sweep.command[1]", fragments: ["unknown macro", "did you mean '${program}'"]),
    BadConfig(label: "a folder as the program", yaml: sweep("    x: {value: 2}\n", extra: "  run_cap: 5\n  program: /tmp\n"),
              line: 9, keyPath: "sweep.program", fragments: ["program is a folder"]),
    BadConfig(label: "a command starting with the arguments", yaml: sweep("    x: {value: 2}\n", extra: "  run_cap: 5\n  command: [\"${args}\"]\n"),
              line: 9, keyPath: "sweep.command[0]", fragments: ["starts with ${args}, which is no program"]),
    BadConfig(label: "a command starting with an empty word", yaml: sweep("    x: {value: 2}\n", extra: "  run_cap: 5\n  command: ['', x]\n"),
              line: 9, keyPath: "sweep.command[0]", fragments: ["starts with an empty word"]),
    BadConfig(label: "a folder as the command", yaml: sweep("    x: {value: 2}\n", extra: "  run_cap: 5\n  command: [/tmp, \"${args}\"]\n"),
              line: 9, keyPath: "sweep.command[0]", fragments: ["'/tmp' is not an executable file"]),
    BadConfig(label: "missing program", yaml: sweep("    x: {value: 2}\n", extra: "  run_cap: 5\n  program: nothere.sh\n"),
              line: 9, keyPath: "sweep.program", fragments: ["program not found"]),
    BadConfig(label: "program not executable", yaml: sweep("    x: {value: 2}\n", extra: "  run_cap: 5\n  program: train.py\n"),
              line: 9, keyPath: "sweep.program", fragments: ["not executable", "python3"]),
    BadConfig(label: "parameter given as a bare value", yaml: sweep("    epochs: 3\n"), line: 10, keyPath: "sweep.parameters.epochs",
              fragments: ["expected a mapping", "{value: 3}"]),
    BadConfig(label: "duplicate value", yaml: sweep("    epochs: {values: [1, 2, 1]}\n"), line: 10,
              keyPath: "sweep.parameters.epochs.values[2]", fragments: ["listed twice"]),
    BadConfig(label: "a later listed value the job rejects", yaml: sweep("    model.activation: {values: [relu, bogus]}\n"), line: 10,
              keyPath: "sweep.parameters.model.activation", fragments: ["does not fit the job with the value bogus"]),
    BadConfig(label: "a later list value the job rejects", yaml: sweep("    model.hidden: {values: [[64], [70000]]}\n"), line: 10,
              keyPath: "sweep.parameters.model.hidden", fragments: ["does not fit the job with the value [70000]"]),
    BadConfig(label: "the top of a range the job rejects", yaml: sweep("    optimizer.momentum: {min: 0.5, max: 3.0}\n"), line: 10,
              keyPath: "sweep.parameters.optimizer.momentum", fragments: ["does not fit the job with the value 3.0", "out of range"]),
    BadConfig(label: "too many values", yaml: sweep("    epochs: {values: [" + (1...10_001).map(String.init).joined(separator: ", ") + "]}\n"),
              line: 10, keyPath: "sweep.parameters.epochs.values", fragments: ["10001 values", "use a range"]),
    BadConfig(label: "an alias bomb inside a value", yaml: sweep("    x:\n      value: [" + aliasBomb + "]\n"), line: nil,
              keyPath: "", fragments: ["expands to more than 200000 YAML values"]),
    BadConfig(label: "trial_timeout not a duration", yaml: sweep("    epochs: {value: 2}\n", extra: "  run_cap: 5\n  trial_timeout: soon\n"),
              line: 9, keyPath: "sweep.trial_timeout", fragments: ["'soon' is not a duration", "30m"]),
    BadConfig(label: "trial_timeout below a second", yaml: sweep("    epochs: {value: 2}\n", extra: "  run_cap: 5\n  trial_timeout: 0.5\n"),
              line: 9, keyPath: "sweep.trial_timeout", fragments: ["out of range"]),
]

/// Nine levels of nine aliases each: 9^9 values once expanded, a few hundred bytes as text.
let aliasBomb: String = {
    var levels = ["&l0 [x, x, x, x, x, x, x, x, x]"]
    for level in 1..<9 { levels.append("&l\(level) [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ") + "]") }
    return levels.joined(separator: ", ")
}()

@Test("bad sweeps are reported with line, key path and a hint", arguments: badSweeps)
func badSweepIsReported(_ bad: BadConfig) {
    bad.expectReported(in: "sweep.yaml", anyKeyUnder: "sweep.parameters.x.value") { _ = try loadSweep($0) }
}

@Test("grid run_cap: defaults to the grid size, caps it when smaller")
func gridRunCap() throws {
    let grid = "sweep:\n  method: grid\n  metric: {name: val_loss}\n  parameters:\n    epochs: {min: 1, max: 3}\n    model.activation: {values: [relu, tanh]}\n"
    #expect(try loadSweep(grid).1.runCap == 6)
    #expect(try loadSweep(grid + "  run_cap: 4\n").1.runCap == 4)
    #expect(try loadSweep(grid + "  run_cap: 100\n").1.runCap == 6)
    #expect(try loadSweep(grid).1.gridSize == 6)
}

@Test("nested W&B parameters flatten to dotted names")
func nestedParameters() throws {
    let (_, spec) = try loadSweep("sweep:\n  method: grid\n  metric: {name: val_loss}\n  parameters:\n    optimizer:\n      parameters:\n        lr: {values: [0.1]}\n        momentum: {value: 0.9}\n")
    #expect(spec.space.parameters.map(\.name) == ["optimizer.lr", "optimizer.momentum"])
}

@Test("a program sweep takes free names and any metric, and builds W&B-style command lines")
func programSweep() throws {
    let (_, spec) = try loadSweep("""
    sweep:
      method: random
      run_cap: 3
      metric: {name: score, goal: maximize}
      program: objective.sh
      parameters:
        learning-rate: {value: 0.01}
        layers: {value: [64, 32]}
        act: {value: relu}
    """)
    let configuration: Configuration = ["learning-rate": .double(0.01), "layers": .list([.int(64), .int(32)]), "act": .string("relu")]
    #expect(spec.programArguments(for: configuration) == [sweepDirectory + "/objective.sh", "--learning-rate=0.01", "--layers=[64, 32]", "--act=relu"])
    #expect(spec.overrides(for: configuration).isEmpty)

    let (_, python) = try loadSweep("""
    sweep:
      method: grid
      metric: {name: score}
      program: train.py
      command:
        - ${env}
        - python3
        - ${program}
        - ${args_no_hyphens}
        - ${args_json}
      parameters:
        x: {values: [1, 2]}
    """)
    #expect(python.programArguments(for: ["x": .int(2)]) == ["/usr/bin/env", "python3", sweepDirectory + "/train.py", "x=2", "{\"x\": 2}"])
}

@Test("the validate plan lists the method, metric, parameters and the first grid points")
func planSummary() throws {
    let (config, spec) = try loadSweep("sweep:\n  method: grid\n  metric: {name: val_acc, goal: maximize}\n  run_cap: 3\n  parameters:\n    optimizer.lr: {values: [0.1, 0.01]}\n    epochs: {min: 1, max: 2}\n")
    let text = PlanSummary.text(config: config, sweep: spec)
    for fragment in ["method      grid", "val_acc (maximize)", "optimizer.lr", "categorical", "int_uniform", "1 ... 2",
                     "4 configurations, capped at run_cap 3", "1. optimizer.lr=0.1 epochs=1", "3. optimizer.lr=0.01 epochs=1"] {
        #expect(text.contains(fragment), "\(fragment) in\n\(text)")
    }
    #expect(!PlanSummary.text(config: config, sweep: nil).contains("sweep:"))
    // One rank has no gradient averaging to describe; more ranks say how it runs.
    #expect(!PlanSummary.text(config: config, sweep: nil).contains("gradients"))
    let sweepText = "sweep:\n  method: grid\n  metric: {name: val_acc}\n  parameters:\n    optimizer.lr: {values: [0.1]}\n"
    let (sharded, _) = try loadSweep(sweepText, overrides: ["job.ranks=2", "job.batch_size=64", "job.accumulate=2"])
    #expect(PlanSummary.text(config: sharded, sweep: nil)
        .contains("gradients   reduce-scattered; each rank updates its 1/2 shard, then the parameters are all-gathered, every 2 micro-steps"))
    let (plain, _) = try loadSweep(sweepText, overrides: ["job.ranks=2", "job.batch_size=64", "job.sharded_update=false"])
    #expect(PlanSummary.text(config: plain, sweep: nil).contains("gradients   averaged after backward in one ring all-reduce"))
    let (overlapped, _) = try loadSweep(sweepText, overrides: ["job.ranks=2", "job.batch_size=64", "job.overlap=true",
                                                               "job.gradient_compression=fp16"])
    #expect(PlanSummary.text(config: overlapped, sweep: nil)
        .contains("buckets of at least 512 KiB during backward (overlap), fp16 on the wire"))
}

@Test("parallel trials must fit the slots unless oversubscription is allowed")
func parallelTrialsMustFitTheSlots() throws {
    let dir = NSTemporaryDirectory() + "ringtrain-slots-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try "a,b,label\n1,2,x\n3,4,y\n".write(toFile: dir + "/train.csv", atomically: false, encoding: .utf8)
    func config(_ cluster: String) -> String {
        """
        \(cluster)
        job:
          dataset: {train: train.csv, label: label}
          ranks: 2
          batch_size: 4
        sweep:
          method: random
          metric: {name: val_acc, goal: maximize}
          parameters: {optimizer.lr: {min: 0.01, max: 0.1}}
          run_cap: 4
          parallel: 3
        """
    }
    let tight = try RunConfig(file: ConfigFile.parse(text: config("cluster: {hosts: [{host: a, slots: 4}]}"), path: dir + "/s.yaml"))
    do {
        _ = try tight.sweepSpec()
        Issue.record("expected a slots error")
    } catch let error as ConfigError {
        #expect(error.keyPath == "sweep.parallel")
        #expect(error.line == 11)
        #expect(error.description.contains("need 6 slots, but there are 4"), "\(error)")
    }
    let loose = try RunConfig(file: ConfigFile.parse(text: config("cluster: {hosts: [{host: a, slots: 4}], oversubscribe: true}"),
                                                     path: dir + "/s.yaml"))
    #expect(try loose.sweepSpec()?.parallel == 3)
}

@Test("a sweep parameter can address a declared layer's option by index")
func sweepOverLayerOption() throws {
    let job = sweepJob + "  model:\n    layers: [{type: dense, units: 8}, {type: activation, function: relu}, {type: dense, units: 2}]\n"
    let (config, spec) = try loadSweep("sweep:\n  method: grid\n  metric: {name: val_loss}\n  parameters:\n    model.layers[0].units: {values: [4, 16]}\n    model.layers[1].function: {values: [relu, gelu_tanh]}\n", job: job)
    let trial = try spec.trialConfig(base: config, configuration: ["model.layers[0].units": .int(16), "model.layers[1].function": .string("gelu_tanh")])
    #expect(trial.job.model.layers[0].kind == .dense(units: 16, init: nil))
    #expect(trial.job.model.layers[1].kind == .activation(.gelu_tanh))
    do {
        _ = try loadSweep("sweep:\n  method: grid\n  metric: {name: val_loss}\n  parameters:\n    model.layers[5].units: {values: [4]}\n", job: job)
        Issue.record("expected an error")
    } catch let error as ConfigError {
        #expect(error.keyPath == "sweep.parameters.model.layers[5].units" && error.description.contains("has no element [5] (it has 3)"), "\(error)")
    }
}

@Test("program_ranks: only for a program's trials, 1 or more, and within the slots unless oversubscribed")
func programRanksIsCheckedWhereItIsSet() throws {
    let dir = NSTemporaryDirectory() + "ringtrain-program-ranks-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try "#!/bin/sh\n".write(toFile: dir + "/p.sh", atomically: false, encoding: .utf8)
    chmod(dir + "/p.sh", 0o755)
    func sweep(_ cluster: String, program: String = "program: p.sh", ranks: String = "3", parallel: Int = 2) -> String {
        """
        \(cluster)
        sweep:
          method: random
          \(program)
          program_ranks: \(ranks)
          metric: {name: loss}
          parameters: {x: {min: 0.0, max: 1.0}}
          run_cap: 4
          parallel: \(parallel)
        """
    }
    let cases = [
        BadConfig(label: "no program", yaml: sweep("cluster: {}", program: ""), line: 5, keyPath: "sweep.program_ranks",
                  fragments: ["program_ranks is for a program's trials", "job.ranks"]),
        BadConfig(label: "zero", yaml: sweep("cluster: {}", ranks: "0"), line: 5, keyPath: "sweep.program_ranks", fragments: ["0 is out of range: 1 to 4096"]),
        BadConfig(label: "too many at once", yaml: sweep("cluster: {hosts: [{host: a, slots: 2}, {host: b, slots: 3}]}"), line: 9,
                  keyPath: "sweep.parallel", fragments: ["2 trials at once × 3 ranks each need 6 slots, but there are 5", "program_ranks"]),
        BadConfig(label: "too many alone", yaml: sweep("cluster: {hosts: [{host: a, slots: 2}]}", parallel: 1), line: 5,
                  keyPath: "sweep.program_ranks", fragments: ["need 3 slots, but there are 2"]),
    ]
    for bad in cases {
        bad.expectReported(in: "s.yaml") { yaml in
            let file = try ConfigFile.parse(text: yaml, path: dir + "/s.yaml")
            if bad.label == "no program" {   // a config without program: or job: fails first for its missing job
                _ = try SweepParser.parse(try file.root.table(allowed: nil).required("sweep"), baseDirectory: dir)
            } else {
                _ = try RunConfig(file: file).sweepSpec()
            }
        }
    }
    let loose = try RunConfig(file: ConfigFile.parse(text: sweep("cluster: {hosts: [{host: a, slots: 2}], oversubscribe: true}"), path: dir + "/s.yaml"))
    #expect(try loose.sweepSpec()?.programRanks == 3)
}
