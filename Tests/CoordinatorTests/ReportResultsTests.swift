// Report results tests: a run folder's sweep.sqlite and cluster.yaml read into ranked results —
// goal-aware ranking with unfinished trials last, status counts, the best config, clear errors.
import Foundation
import Testing
@testable import Coordinator

private func config(_ lr: Double, hidden: [Int] = [64], activation: String = "relu") -> Configuration {
    ["optimizer.lr": .double(lr), "model.hidden": .list(hidden.map(ParameterValue.int)), "model.activation": .string(activation)]
}

@Test("trials rank by the metric per the goal; stopped, running, pending and failed trials come last",
      arguments: MetricGoal.allCases)
func rankingHonoursGoal(_ goal: MetricGoal) throws {
    let fixture = try ReportFixture(sweep: reportSweep(goal: goal))
    defer { fixture.remove() }
    let a = try fixture.add(config(0.01), status: .finished, curve: [0.9, 0.5])
    let failed = try fixture.add(config(0.02), status: .failed, curve: [0.7], error: "diverged: loss is NaN\nlast lines ...")
    let b = try fixture.add(config(0.03), status: .finished, curve: [0.8, 0.2])
    let pending = try fixture.add(config(0.04), status: .pending)
    let stopped = try fixture.add(config(0.05), status: .stopped, curve: [0.05])
    let c = try fixture.add(config(0.06), status: .finished, curve: [0.9])
    let running = try fixture.add(config(0.07), status: .running, curve: [0.01])

    let results = try fixture.results()
    let finishedOrder = goal == .minimize ? [b, a, c] : [c, a, b]
    #expect(results.trials.map(\.id) == finishedOrder + [stopped, running, pending, failed])
    #expect(results.best?.id == finishedOrder[0])
    #expect(results.statusCounts == [.finished: 3, .failed: 1, .pending: 1, .stopped: 1, .running: 1, .interrupted: 0, .paused: 0])
    #expect(results.trials.last?.errorLine == "diverged: loss is NaN")
    #expect(results.trials.first { $0.id == a }?.curve("val_loss").map(\.value) == [0.9, 0.5])
}

@Test("with no finished trial the best is the best stopped one; with none at all there is no best")
func bestFallsBackToStopped() throws {
    let fixture = try ReportFixture(sweep: reportSweep())
    defer { fixture.remove() }
    #expect(try fixture.results().best == nil)
    try fixture.add(config(0.01), status: .stopped, curve: [0.4])
    let better = try fixture.add(config(0.02), status: .stopped, curve: [0.3])
    try fixture.add(config(0.03), status: .failed)
    #expect(try fixture.results().best?.id == better)
}

@Test("the best config YAML loads back with RunConfig to the best configuration")
func bestYAMLReruns() throws {
    let fixture = try ReportFixture(sweep: reportSweep(goal: .maximize, metric: "val_acc"))
    defer { fixture.remove() }
    try fixture.add(config(0.001, hidden: [64], activation: "relu"), status: .finished, metric: "val_acc", curve: [0.6])
    try fixture.add(config(0.0123, hidden: [512, 256], activation: "tanh"), status: .finished, metric: "val_acc", curve: [0.7, 0.9])
    let results = try fixture.results()
    let yaml = try #require(results.bestYAML)
    let path = fixture.directory + "/best.yaml"
    try yaml.write(toFile: path, atomically: false, encoding: .utf8)
    let rerun = try RunConfig.load(path: path)
    #expect(rerun.job.optimizer.learningRate == 0.0123)
    #expect(rerun.job.model.hidden == [512, 256])
    #expect(rerun.job.model.activation.rawValue == "tanh")
    #expect(rerun.job.epochs == 3)
    #expect(results.notes.isEmpty, "\(results.notes)")
}

@Test("when the base job no longer loads, the best config comes from the trial's config.yaml")
func bestYAMLFallsBackToTrialFolder() throws {
    let fixture = try ReportFixture(sweep: reportSweep())
    defer { fixture.remove() }
    let id = try fixture.add(config(0.01), status: .finished, curve: [0.3])
    try FileManager.default.removeItem(atPath: fixture.directory + "/train.csv")
    let saved = SweepResults.trialDirectory(fixture.directory, id: id)
    try FileManager.default.createDirectory(atPath: saved, withIntermediateDirectories: true)
    try "job: {saved: true}\n".write(toFile: saved + "/config.yaml", atomically: false, encoding: .utf8)
    let results = try fixture.results()
    #expect(results.metric == SweepMetric(name: "val_loss", goal: .minimize))
    #expect(results.bestYAML == "job: {saved: true}\n")
    #expect(results.notes.count == 1)
    #expect(saved.hasSuffix(String(format: "/trial-%04d", id)))
}

@Test("a folder without sweep.sqlite is refused with what a run folder holds, and nothing is created")
func missingStoreIsClear() throws {
    let dir = NSTemporaryDirectory() + "ringtrain-report-empty-\(getpid())-\(UUID().uuidString.prefix(6))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    do {
        _ = try SweepResults.load(runDirectory: dir)
        Issue.record("expected an error")
    } catch let error as ConfigError {
        #expect(error.message.contains("sweep.sqlite"))
        #expect(error.hint?.contains("cluster.yaml") == true && error.hint?.contains("trial-NNNN") == true)
    }
    #expect(!FileManager.default.fileExists(atPath: dir + "/sweep.sqlite"))
    #expect(throws: ConfigError.self) { try SweepResults.load(runDirectory: dir + "/nope") }
}

@Test("an empty sweep renders in every format")
func emptySweepRenders() throws {
    let fixture = try ReportFixture(sweep: reportSweep())
    defer { fixture.remove() }
    let results = try fixture.results()
    let effects = ParameterEffects.compute(results)
    #expect(results.trials.isEmpty && results.best == nil)
    #expect(ReportTable.render(results, effects: effects).contains("best: none yet"))
    #expect(ReportCSV.render(results).components(separatedBy: "\r\n").count == 2)
    let json = try JSONSerialization.jsonObject(with: Data(ReportJSON.render(results, effects: effects).utf8)) as! [String: Any]
    #expect(json["best"] is NSNull && (json["trials"] as? [Any])?.isEmpty == true)
    #expect(ReportHTML.render(results, effects: effects).contains("no epoch has reported val_loss yet"))
    #expect(ReportFiles.write(results, effects: effects).isEmpty)
    for name in [ReportFiles.html, ReportFiles.csv, ReportFiles.json] {
        #expect(FileManager.default.fileExists(atPath: fixture.directory + "/" + name))
    }
}
