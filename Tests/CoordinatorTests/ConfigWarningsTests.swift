// ConfigWarningsTests: settings that do nothing, or likely not what was meant, are warned about
// with their line and key; the same settings made meaningful by the job or the sweep are not.
import Testing
@testable import Coordinator

struct ConfigWarningsTests {
    static let dataset = "  dataset: {train: train.csv, label: label}\n"

    static func warnings(_ text: String) throws -> [String] {
        try ConfigWarnings.of(load(text)).map(\.description)
    }

    @Test("an optimizer or schedule key its kind ignores is named, with the kinds that use it")
    func unusedKeys() throws {
        let adam = try Self.warnings("job:\n" + Self.dataset + "  optimizer: {name: adam, momentum: 0.9}\n")
        #expect(adam.count == 1 && adam[0].contains("test.yaml:3:") && adam[0].contains("job.optimizer.momentum: adam does not use it")
                && adam[0].contains("it is for sgd"), "\(adam)")
        let sgd = try Self.warnings("job:\n" + Self.dataset + "  optimizer: {name: sgd, beta2: 0.99}\n  schedule: {name: constant, gamma: 0.5}\n")
        #expect(sgd.count == 2 && sgd[0].contains("job.optimizer.beta2: sgd does not use it (it is for adam and adamw")
                && sgd[1].contains("job.schedule.gamma: the constant schedule does not use it (it is for the step schedule"), "\(sgd)")
        #expect(try Self.warnings("job:\n" + Self.dataset + "  optimizer: {name: sgd, momentum: 0.9}\n  schedule: {name: step, gamma: 0.5}\n").isEmpty)
    }

    @Test("a schedule key at its default is not warned about: resolved configs write every one")
    func resolvedConfigsAreQuiet() throws {
        let text = "job:\n" + Self.dataset + "  optimizer: {name: adam, lr: 0.001, beta1: 0.9}\n"
            + "  schedule: {name: cosine, warmup_steps: 0, step_size: 1000, gamma: 0.1, min_lr: 0}\n"
        #expect(try Self.warnings(text).isEmpty)
        let config = try load(text)
        let resolved = try load(ResolvedConfig.yaml(job: config.job, cluster: config.cluster))
        #expect(ConfigWarnings.of(resolved).isEmpty, "\(ConfigWarnings.of(resolved))")
    }

    @Test("a cosine schedule whose min_lr is above lr rises: warned, unless the sweep varies either")
    func risingCosine() throws {
        let job = "job:\n" + Self.dataset + "  optimizer: {lr: 0.01}\n  schedule: {name: cosine, min_lr: 0.1}\n"
        let warned = try Self.warnings(job)
        #expect(warned.count == 1 && warned[0].contains("job.schedule.min_lr: 0.1 is above optimizer.lr 0.01"), "\(warned)")
        #expect(try Self.warnings(job.replacingOccurrences(of: "0.1}", with: "0.001}")).isEmpty)
        let swept = job + "sweep:\n  method: random\n  run_cap: 2\n  metric: {name: val_loss}\n  parameters:\n    optimizer.lr: {values: [0.001, 0.2]}\n"
        #expect(try Self.warnings(swept).isEmpty)
    }

    @Test("a sweep metric named like an accuracy without a goal is minimised: warned")
    func accuracyMinimised() throws {
        let sweep = "job:\n" + Self.dataset + "sweep:\n  method: random\n  run_cap: 2\n  parameters:\n    optimizer.lr: {values: [0.01, 0.1]}\n"
        let warned = try Self.warnings(sweep + "  metric: {name: val_acc}\n")
        #expect(warned.count == 1 && warned[0].contains("sweep.metric: val_acc is minimised") && warned[0].contains("goal: maximize"), "\(warned)")
        #expect(try Self.warnings(sweep + "  metric: {name: val_acc, goal: minimize}\n").isEmpty, "a goal given is taken as meant")
        #expect(try Self.warnings(sweep + "  metric: {name: val_loss}\n").isEmpty)
        #expect(try Self.warnings(sweep + "  metric: {name: test_macro_f1}\n").count == 1, "an F1 score reads as higher-is-better too")
    }

    @Test("an optimizer key is not judged when the sweep varies the optimizer")
    func sweptOptimizer() throws {
        let text = "job:\n" + Self.dataset + "  optimizer: {name: sgd, momentum: 0.9, beta1: 0.8}\n"
            + "sweep:\n  method: grid\n  metric: {name: val_loss}\n  parameters:\n    optimizer.name: {values: [sgd, adam]}\n"
        #expect(try Self.warnings(text).isEmpty)
    }
}
