// Report tests for a sweep whose job is budgeted in steps: counts are evaluations, the learning
// curves run over the optimizer step of each evaluation, JSON adds step-mode keys to the old ones.
import Foundation
import Testing
@testable import Coordinator

/// A job of 25 steps validated every 10: evaluations at steps 10, 20 and 25.
private let stepsJob = "job:\n  dataset:\n    train: train.csv\n    label: label\n  steps: 25\n  eval_every: 10\n"

/// Three trials as a steps-budget sweep records them: finished after 3 evaluations, stopped after
/// 1, pending.
private func stepsFixture() throws -> ReportFixture {
    let fixture = try ReportFixture(sweep: reportSweep(), job: stepsJob)
    try fixture.add(["optimizer.lr": .double(0.001), "model.hidden": .list([.int(64)]), "model.activation": .string("relu")],
                    status: .finished, curve: [0.5, 0.3, 0.25], steps: [10, 20, 25])
    try fixture.add(["optimizer.lr": .double(0.05), "model.hidden": .list([.int(64)]), "model.activation": .string("tanh")],
                    status: .stopped, curve: [0.9], steps: [10])
    try fixture.add(["optimizer.lr": .double(0.01), "model.hidden": .list([.int(64)]), "model.activation": .string("tanh")],
                    status: .pending)
    return fixture
}

@Test("a steps-budget sweep's table, CSV and HTML count evaluations, not epochs")
func stepsCountColumn() throws {
    let fixture = try stepsFixture()
    defer { fixture.remove() }
    let results = try fixture.results()
    #expect(results.progressUnit == .evaluation)

    let table = ReportTable.render(results, effects: ParameterEffects.compute(results))
    let lines = table.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    let header = try #require(lines.first { $0.hasPrefix("rank") })
    #expect(header.contains("evaluations") && !header.contains("epochs"), "\(header)")
    let finished = try #require(lines.first { $0.hasPrefix("1 ") })
    #expect(finished.split(separator: " ").suffix(2) == ["3", "1"], "3 evaluations, 1 attempt: \(finished)")

    let csv = ReportCSV.render(results).components(separatedBy: "\r\n")
    #expect(csv[0] == "id,status,optimizer.lr,model.hidden,model.activation,val_loss,evaluations,attempts,error")
    #expect(csv[1] == "1,finished,0.001,[64],relu,0.25,3,1,")

    let html = ReportHTML.render(results, effects: ParameterEffects.compute(results))
    #expect(html.contains("<th>evaluations</th>") && !html.contains("<th>epochs</th>"))
}

@Test("a steps-budget sweep's learning curves are drawn against the optimizer step of each evaluation")
func stepsLearningCurves() throws {
    let fixture = try stepsFixture()
    defer { fixture.remove() }
    let svg = SVGPlots.learningCurves(try fixture.results())
    #expect(svg.contains("val_loss by step") && !svg.contains("by epoch"), "\(svg.prefix(400))")
    let best = try #require(svg.components(separatedBy: "class=\"best\"").first?.components(separatedBy: "<polyline points=\"").last)
    let xs = best.prefix { $0 != "\"" }.split(separator: " ").compactMap { Double($0.split(separator: ",")[0]) }
    #expect(xs.count == 3)
    // Steps 10, 20, 25: the second gap is half the first (by evaluation index they would be equal).
    if xs.count == 3 { #expect(abs((xs[1] - xs[0]) / (xs[2] - xs[1]) - 2) < 0.05, "\(xs)") }
}

@Test("a steps-budget sweep's JSON keeps epochs and curve[].epoch and adds evaluations and each point's step")
func stepsJSONKeys() throws {
    let fixture = try stepsFixture()
    defer { fixture.remove() }
    let results = try fixture.results()
    let object = try #require(try JSONSerialization.jsonObject(with: Data(ReportJSON.render(results, effects: []).utf8)) as? [String: Any])
    let trials = try #require(object["trials"] as? [[String: Any]])
    let finished = try #require(trials.first { $0["status"] as? String == "finished" })
    #expect(finished["epochs"] as? Int == 3 && finished["evaluations"] as? Int == 3)
    let curve = try #require(finished["curve"] as? [[String: Any]])
    #expect(curve.map { $0["step"] as? Int } == [10, 20, 25])
    #expect(curve.map { $0["evaluation"] as? Int } == [1, 2, 3])
    #expect(curve.map { $0["epoch"] as? Int } == [1, 2, 3])
    #expect(curve.map { $0["value"] as? Double } == [0.5, 0.3, 0.25])
    #expect(trials.first { $0["status"] as? String == "pending" }?["evaluations"] as? Int == 0)
}

@Test("an epochs sweep's JSON has no steps-mode keys")
func epochsJSONUnchanged() throws {
    let fixture = try ReportFixture(sweep: reportSweep())
    defer { fixture.remove() }
    try fixture.add(["optimizer.lr": .double(0.001), "model.hidden": .list([.int(64)]), "model.activation": .string("relu")],
                    status: .finished, curve: [0.5, 0.25])
    let results = try fixture.results()
    #expect(results.progressUnit == .epoch)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(ReportJSON.render(results, effects: []).utf8)) as? [String: Any])
    let trial = try #require((object["trials"] as? [[String: Any]])?.first)
    #expect(trial["evaluations"] == nil)
    #expect((trial["curve"] as? [[String: Any]])?.map { $0.keys.sorted() } == [["epoch", "value"], ["epoch", "value"]])
    #expect(SVGPlots.learningCurves(results).contains("val_loss by epoch"))
}

@Test("before any trial reports, a steps-budget sweep's unit comes from its job")
func stepsUnitFromConfig() throws {
    let fixture = try ReportFixture(sweep: reportSweep(), job: stepsJob)
    defer { fixture.remove() }
    try fixture.add(["optimizer.lr": .double(0.001), "model.hidden": .list([.int(64)]), "model.activation": .string("relu")],
                    status: .pending)
    let results = try fixture.results()
    #expect(results.progressUnit == .evaluation)
    #expect(ReportCSV.render(results).hasPrefix("id,status,optimizer.lr,model.hidden,model.activation,val_loss,evaluations,"))
    #expect(SVGPlots.learningCurves(results).contains("no evaluation has reported val_loss yet"))
}
