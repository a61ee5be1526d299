// Report format tests: JSON keeps the command-line contract, CSV quotes lists, commas and quotes
// per RFC 4180, HTML holds well-formed inline SVG plots and escapes hostile parameter strings.
import Foundation
import Testing
@testable import Coordinator
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A sweep whose `name` parameter carries hostile strings, on a real store.
private func hostileFixture() throws -> (ReportFixture, best: Int) {
    let fixture = try ReportFixture(sweep: reportSweep() + "    name: {values: [plain]}\n")
    let hostile: Configuration = ["optimizer.lr": .double(0.001), "model.hidden": .list([.int(512), .int(256)]),
                                  "model.activation": .string("relu"), "name": .string("<script>alert('x')</script>, \"quoted\"")]
    let best = try fixture.add(hostile, status: .finished, curve: [0.5, 0.25], finalMetrics: ["test_acc": 0.9, "val_loss": 0.25])
    try fixture.add(["optimizer.lr": .double(0.01), "model.hidden": .list([.int(64)]), "model.activation": .string("tanh"),
                     "name": .string("a,b")], status: .finished, curve: [0.6, 0.4, 0.3])
    try fixture.add(["optimizer.lr": .double(0.05), "model.hidden": .list([.int(64)]), "model.activation": .string("relu"),
                     "name": .string("plain")], status: .failed, curve: [0.9], error: "out of memory <oops>\ntrace")
    try fixture.add(["optimizer.lr": .double(0.02), "model.hidden": .list([.int(64)]), "model.activation": .string("tanh"),
                     "name": .string("plain")], status: .pending)
    return (fixture, best)
}

@Test("JSON has the contract's keys and values: metric, best, trials with status, params, metrics, epochs")
func jsonContract() throws {
    let (fixture, bestID) = try hostileFixture()
    defer { fixture.remove() }
    let results = try fixture.results()
    let text = ReportJSON.render(results, effects: ParameterEffects.compute(results))
    let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(object["metric"] as? [String: String] == ["name": "val_loss", "goal": "minimize"])
    let best = try #require(object["best"] as? [String: Any])
    #expect(best["id"] as? Int == bestID)
    #expect(best["metric"] as? Double == 0.25)
    let bestParams = try #require(best["params"] as? [String: Any])
    #expect(bestParams["optimizer.lr"] as? Double == 0.001)
    #expect(bestParams["model.hidden"] as? [Int] == [512, 256])

    let trials = try #require(object["trials"] as? [[String: Any]])
    #expect(trials.count == 4)
    for t in trials {
        for key in ["id", "status", "params", "metrics", "epochs"] { #expect(t[key] != nil, "missing \(key)") }
        #expect(TrialStatus(rawValue: t["status"] as? String ?? "") != nil)
    }
    #expect(trials.map { $0["status"] as? String } == ["finished", "finished", "pending", "failed"])
    let first = trials[0]
    #expect(first["epochs"] as? Int == 2)
    #expect((first["metrics"] as? [String: Double]) == ["test_acc": 0.9, "val_loss": 0.25])
    #expect((first["curve"] as? [[String: Double]])?.map { $0["value"]! } == [0.5, 0.25])
    #expect((trials[1]["metrics"] as? [String: Double]) == ["val_loss": 0.3])
    #expect(trials[3]["error"] as? String == "out of memory <oops>")
    #expect(trials[2]["metric"] is NSNull)
    #expect((object["effects"] as? [[String: Any]])?.count == 4)
    #expect((object["counts"] as? [String: Int]) == ["pending": 1, "running": 0, "finished": 2, "failed": 1, "stopped": 0, "interrupted": 0, "paused": 0])
}

@Test("CSV: one row per trial, lists, commas and quotes quoted per RFC 4180")
func csvQuoting() throws {
    let (fixture, _) = try hostileFixture()
    defer { fixture.remove() }
    let csv = ReportCSV.render(try fixture.results())
    let lines = csv.components(separatedBy: "\r\n")
    #expect(lines.count == 6 && lines.last == "")
    #expect(lines[0] == "id,status,optimizer.lr,model.hidden,model.activation,name,val_loss,test_acc,epochs,attempts,error")
    #expect(lines[1] == "1,finished,0.001,\"[512, 256]\",relu,\"<script>alert('x')</script>, \"\"quoted\"\"\",0.25,0.9,2,1,")
    #expect(lines[2] == "2,finished,0.01,[64],tanh,\"a,b\",0.3,,3,1,")
    #expect(lines[3].hasPrefix("4,pending,0.02,[64],tanh,plain,,,0,0,"))
    #expect(lines[4].hasSuffix(",1,1,out of memory <oops>"))
}

@Test("CSV fields are quoted exactly when needed", arguments: [
    ("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("two\nlines", "\"two\nlines\""),
    ("cr\r\nlf", "\"cr\r\nlf\""), (" padded", "\" padded\""), ("", ""),
])
func csvField(_ text: String, _ expected: String) {
    #expect(ReportCSV.field(text) == expected)
}

@Test("HTML is one self-contained page with well-formed SVG plots and every user string escaped")
func htmlPlotsAndEscaping() throws {
    let (fixture, _) = try hostileFixture()
    defer { fixture.remove() }
    let results = try fixture.results()
    let html = ReportHTML.render(results, effects: ParameterEffects.compute(results))
    #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("</html>"))
    #expect(!html.contains("<script"), "a parameter value became markup")
    #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
    #expect(html.contains("out of memory &lt;oops&gt;"))
    #expect(!html.contains("http://") || !html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http"))
    #expect(!html.contains("src=") && !html.contains("<link"))

    let svgs = html.components(separatedBy: "<svg").dropFirst().map { "<svg" + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
    #expect(svgs.count == 1 + 4 + 1, "learning curves, one scatter per parameter, parallel coordinates")
    for svg in svgs {
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "malformed SVG: \(parser.parserError.map { "\($0)" } ?? "")\n\(svg.prefix(300))")
    }
    #expect(svgs[0].contains("<polyline") && svgs[0].contains("class=\"best\""))
    #expect(svgs[0].contains("<title>trial 1 (finished): val_loss 0.25"))
    #expect(svgs[1].contains("(log scale)"), "learning-rate scatter uses a log x axis")
    #expect(svgs.last!.contains("parallel coordinates"))
}

@Test("log scales tick at powers of ten; linear scales at 1-2-5 steps")
func scaleTicks() {
    let log = PlotScale(values: [0.0001, 0.1], log: true, from: 0, to: 100)
    #expect(log.ticks().map(\.value) == [0.0001, 0.001, 0.01, 0.1].map { $0 })
    let linear = PlotScale(values: [0, 1], log: false, from: 0, to: 100)
    #expect(linear.ticks().map(\.label) == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
    #expect(abs(linear(0.5) - 50) < 1e-9)
}

@Test("values a few ulps apart get a scale with ticks (the step was below an ulp and the loop never ended)",
      arguments: [[0.85, 0.8500000000000002], [1e16, 1e16 + 2], [-3.0, -3.0000000000000004], [0.0, 5e-324]])
func nearlyEqualValuesTick(values: [Double]) {
    let scale = PlotScale(values: values, log: false, from: 0, to: 100)
    let ticks = scale.ticks()
    #expect(!ticks.isEmpty && ticks.count <= 20, "\(ticks)")
    #expect(values.allSatisfy { scale($0).isFinite && scale($0) > 0 && scale($0) < 100 })
}
