// Trial outcome tests: what a program's output and a training trial's metrics say about how an
// attempt ended, which output belongs to which attempt, and the NaN/Infinity literals programs print.
import Foundation
import Testing
@testable import Coordinator

@Test("only a final JSON result on the last line proves a program reached its end")
func programCompleteness() {
    let epochs = "{\"epoch\": 1, \"score\": 0.9}\n{\"epoch\": 2, \"score\": 0.8}\n"
    #expect(!TrialOutcome.program(output: epochs, metricName: "score").complete)
    #expect(TrialOutcome.program(output: epochs, metricName: "score").metric == 0.8)
    let final = TrialOutcome.program(output: epochs + "{\"score\": 0.7}\n\n", metricName: "score")
    #expect(final.complete && final.metric == 0.7)
    // name=value lines may be progress as well as results: never proof of the end.
    #expect(!TrialOutcome.program(output: "score: 9.1\nscore: 9.2\n", metricName: "score").complete)
    #expect(!TrialOutcome.program(output: epochs + "{\"score\": 0.7}\nbye\n", metricName: "score").complete)
    // A steps budget's progress lines carry an evaluation index instead of an epoch.
    let evaluations = "{\"step\": 100, \"evaluation\": 1, \"score\": 0.9}\n{\"step\": 200, \"evaluation\": 2, \"score\": 0.8}\n"
    #expect(!TrialOutcome.program(output: evaluations, metricName: "score").complete)
    #expect(TrialOutcome.program(output: evaluations + "{\"step\": 200, \"score\": 0.7}\n", metricName: "score").complete)
}

@Test("each attempt's output is what follows its marker, even after a line cut short")
func attemptOutput() throws {
    let path = try TestFolder.make() + "/output.log"
    let text = "\n" + TrialExec.attemptMarker(1) + "\nloading 50%" + "\n" + TrialExec.attemptMarker(2) + "\n{\"score\": 1}\n"
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    #expect(TrialOutcome.attemptOutput(of: path, attempt: 2) == "{\"score\": 1}\n")
    #expect(TrialOutcome.attemptOutput(of: path, attempt: 1).hasPrefix("loading 50%"))
    #expect(TrialOutcome.attemptOutput(of: path, attempt: 3) == "")
    let follower = LineFollower(path: path, after: TrialExec.attemptMarker(2))
    #expect(follower.newLines() == ["{\"score\": 1}"])
    try "no markers: an earlier version's log\n".write(toFile: path, atomically: false, encoding: .utf8)
    #expect(TrialOutcome.attemptOutput(of: path, attempt: 4) == "no markers: an earlier version's log\n")
}

@Test("a training trial's diverged event line is neither progress nor a result: the trial is not complete")
func divergedTrainingTrial() throws {
    let dir = try TestFolder.make()
    let epoch = "{\"epoch\": 1, \"loss\": 2.5, \"step\": 10, \"val_acc\": 0.4}\n"
    let event = "{\"event\": \"diverged\", \"message\": \"...\", \"step\": 12, \"tensor\": \"fc1.weight\"}\n"
    try (epoch + event).write(toFile: dir + "/metrics.jsonl", atomically: false, encoding: .utf8)
    let diverged = TrialOutcome.training(directory: dir, metricName: "val_acc")
    #expect(diverged.diverged && !diverged.complete && diverged.metric == 0.4, "\(diverged)")
    try (epoch + "{\"final\": true, \"step\": 10, \"val_acc\": 0.4}\n").write(toFile: dir + "/metrics.jsonl", atomically: false, encoding: .utf8)
    let finished = TrialOutcome.training(directory: dir, metricName: "val_acc")
    #expect(finished.complete && !finished.diverged)
}

/// A progress line as a program prints it, and the numbers read from it (NaN stands for NaN).
struct NonFiniteLine: Sendable, CustomTestStringConvertible {
    let line: String
    let fields: [String: Double]?
    var testDescription: String { line }
}

@Test("Python's NaN and Infinity literals are read as numbers; null, strings and broken lines are not",
      arguments: [
        NonFiniteLine(line: #"{"epoch": 2, "score": NaN}"#, fields: ["epoch": 2, "score": .nan]),
        NonFiniteLine(line: #"{"epoch": 2, "score": Infinity}"#, fields: ["epoch": 2, "score": .infinity]),
        NonFiniteLine(line: #"{"epoch": 2, "score": -Infinity, "x": [NaN]}"#, fields: ["epoch": 2, "score": -.infinity]),
        NonFiniteLine(line: #"{"epoch": 2, "score": null}"#, fields: ["epoch": 2]),
        NonFiniteLine(line: #"{"note": "NaN, \"Infinity\"", "score": 1.5}"#, fields: ["score": 1.5]),
        NonFiniteLine(line: #"{"score": NaNx}"#, fields: nil),
      ])
func nonFiniteLiterals(_ c: NonFiniteLine) {
    let fields = numericFields(ofJSONLine: c.line)
    #expect((fields == nil) == (c.fields == nil), "\(String(describing: fields))")
    guard let fields, let expected = c.fields else { return }
    #expect(fields.keys.sorted() == expected.keys.sorted(), "\(fields)")
    for (key, value) in expected {
        #expect(fields[key].map { $0.isNaN ? value.isNaN : $0 == value } == true, "\(key): \(String(describing: fields[key]))")
    }
}
