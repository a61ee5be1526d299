// Trial config tests: a configuration becomes `--set job.<name>=<value>` overrides that the
// config loader reads back to the same values, lists included, and a bad value names its override.
import Foundation
import Testing
@testable import Coordinator
import Model

private let sweepSection = """
sweep:
  method: grid
  metric: {name: val_acc, goal: maximize}
  parameters:
    optimizer.lr: {values: [0.01, 1.0e-5]}
    model.hidden: {values: [[64, 32], [16]]}
    model.activation: {values: [tanh, relu]}
    batch_size: {min: 2, max: 3}
    dataset.normalize: {value: "none"}

"""

@Test("overrides carry every value type into the job, lists as YAML lists")
func overridesIntoJob() throws {
    let (base, spec) = try loadSweep(sweepSection)
    let configuration: Configuration = ["optimizer.lr": .double(1e-5), "model.hidden": .list([.int(64), .int(32)]),
                                        "model.activation": .string("tanh"), "batch_size": .int(3),
                                        "dataset.normalize": .string("none")]
    #expect(spec.overrides(for: configuration) == ["job.optimizer.lr=1.0e-05", "job.model.hidden=[64, 32]",
                                                    "job.model.activation=tanh", "job.batch_size=3",
                                                    "job.dataset.normalize=none"])
    let trial = try spec.trialConfig(base: base, configuration: configuration)
    #expect(trial.job.optimizer.learningRate == 1e-5)
    #expect(trial.job.model.hidden == [64, 32])
    #expect(trial.job.model.activation == .tanh)
    #expect(trial.job.batchSize == 3)
    #expect(trial.job.dataset.normalization == .none)
    #expect(base.job.model.hidden != [64, 32])
}

@Test("every grid configuration resolves into a valid trial job")
func everyGridPointResolves() throws {
    let (base, spec) = try loadSweep(sweepSection)
    var grid = GridSearch(space: spec.space)
    let all = try grid.suggest(count: 100, history: [])
    #expect(all.count == 16 && spec.runCap == 16)
    for configuration in all {
        let job = try spec.trialConfig(base: base, configuration: configuration).job
        #expect(job.optimizer.learningRate == configuration["optimizer.lr"]!.number!)
        #expect(ParameterValue.list(job.model.hidden.map(ParameterValue.int)) == configuration["model.hidden"])
    }
}

@Test("the base config's own overrides are kept in every trial")
func baseOverridesKept() throws {
    let (base, spec) = try loadSweep(sweepSection, overrides: ["job.epochs=2", "job.optimizer.momentum=0.5"])
    let trial = try spec.trialConfig(base: base, configuration: spec.space.gridConfiguration(at: 0))
    #expect(trial.job.epochs == 2 && trial.job.optimizer.momentum == 0.5)
}

@Test("a value the job rejects names the override")
func badValueNamesOverride() throws {
    let (base, spec) = try loadSweep(sweepSection)
    do {
        _ = try spec.trialConfig(base: base, configuration: ["model.hidden": .list([.int(0)])])
        Issue.record("expected an error")
    } catch let error as ConfigError {
        #expect(error.file == "--set job.model.hidden=[0]", "\(error)")
        #expect(error.description.contains("layer widths"), "\(error)")
    }
}

@Test("strings that would read as other YAML types are quoted", arguments: [
    ("relu", "relu"), ("true", "\"true\""), ("1e-3", "\"1e-3\""), ("a b", "\"a b\""), ("", "\"\""), ("path/to.csv", "path/to.csv"),
])
func stringQuoting(_ text: String, _ expected: String) throws {
    #expect(ParameterValue.string(text).yamlText == expected)
    let parsed = try ConfigFile.parse(text: "x: 1\n", path: "q.yaml", overrides: ["x=\(expected)"]).root
    #expect(try parsed.table(allowed: nil)["x"].map { try ParameterParser.parameterValue($0) } == .string(text))
}
