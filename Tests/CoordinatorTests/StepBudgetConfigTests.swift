// Step-budget config tests: job.steps and job.eval_every parse, round-trip through resolved.yaml
// and reach sweeps' early termination as evaluations; wrong combinations name their keys.
import Foundation
import Testing
@testable import Coordinator
import Worker

/// `jobKeys` under a job whose dataset is the shared test CSV.
private func loadJob(_ jobKeys: String, overrides: [String] = []) throws -> RunConfig {
    try load("job:\n  dataset: {train: train.csv, label: label}\n" + jobKeys, overrides: overrides)
}

@Test("job.steps and eval_every are read, count evaluations, and read back from resolved.yaml")
func stepBudgetIsRead() throws {
    let config = try loadJob("  steps: 250\n  eval_every: 100\n  checkpoint: {every_steps: 50}\n")
    #expect(config.job.steps == 250 && config.job.evalEvery == 100 && config.job.checkpoint.everySteps == 50)
    #expect(config.job.progressReports == 3)   // steps 100, 200 and the end
    let yaml = ResolvedConfig.yaml(job: config.job, cluster: config.cluster)
    #expect(yaml.contains("steps: 250") && !yaml.contains("epochs:"), "\(yaml)")
    #expect(try RunConfig(file: ConfigFile.parse(text: yaml, path: "resolved.yaml")).job == config.job)

    let endOnly = try loadJob("  steps: 40\n")
    #expect(endOnly.job.evalEvery == nil && endOnly.job.progressReports == 1)
    #expect(try loadJob("").job.steps == nil && loadJob("").job.progressReports == 10)
    // --set job.epochs=null clears a config's epochs so that --set job.steps can replace them.
    let swapped = try loadJob("  epochs: 3\n", overrides: ["job.epochs=null", "job.steps=7"])
    #expect(swapped.job.steps == 7)
}

@Test("wrong step-budget combinations are errors naming the key and what is valid", arguments: [
    ("  epochs: 3\n  steps: 10\n", "job.epochs", "both set"),
    ("  steps: 0\n", "job.steps", "out of range"),
    ("  steps: many\n", "job.steps", "expected a whole number"),
    ("  eval_every: 5\n", "job.eval_every", "needs job.steps"),
    ("  epochs: 2\n  eval_every: 5\n", "job.eval_every", "needs job.steps"),
    ("  steps: 10\n  eval_every: 0\n", "job.eval_every", "out of range"),
])
func badStepBudget(keys: String, keyPath: String, fragment: String) {
    do {
        _ = try loadJob(keys)
        Issue.record("expected an error for \(keys)")
    } catch let error as ConfigError {
        #expect(error.keyPath == keyPath, "\(error)")
        #expect(error.description.contains(fragment), "\(error)")
    } catch {
        Issue.record("unexpected \(error)")
    }
}
