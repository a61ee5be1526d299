// Tests for ClassificationMetrics (a hand-made confusion matrix, zero division, merge and
// all-reduce round trips, argmax recording, the report) and RegressionMetrics (MSE/MAE).

import Testing
@testable import Model

/// Five classes; "bird" is never predicted, "fish" never a true label, "eel" never seen.
/// Confusion (rows = true, columns = predicted):
///
///            cat dog bird fish eel
///     cat      3   1    0    0   0
///     dog      1   2    0    1   0
///     bird     1   1    0    0   0
///     fish     0   0    0    0   0
///     eel      0   0    0    0   0
private enum Sample {
    static let names = ["cat", "dog", "bird", "fish", "eel"]
    /// (label, predicted) pairs in a scrambled order.
    static let pairs: [(label: Int, predicted: Int)] = [
        (0, 0), (1, 3), (2, 0), (0, 1), (1, 1), (0, 0), (1, 0), (2, 1), (1, 1), (0, 0),
    ]
    static var metrics: ClassificationMetrics {
        var m = ClassificationMetrics(classes: 5)
        for p in pairs { m.record(predicted: p.predicted, label: p.label) }
        return m
    }
}

private func near(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-12 }

@Test("Confusion matrix, count and accuracy")
func confusionAndAccuracy() {
    let m = Sample.metrics
    #expect(m.confusion == [[3, 1, 0, 0, 0], [1, 2, 0, 1, 0], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]])
    #expect(m.count == 10)
    #expect(m.correct == 5)
    #expect(near(m.accuracy, 0.5))
    #expect(m.observedClasses == [0, 1, 2, 3])
}

struct PerClassCase: CustomTestStringConvertible, Sendable {
    let label: String
    let classIndex: Int
    let precision: Double, recall: Double, f1: Double
    let support: Int
    var testDescription: String { label }
}

@Test("Per-class precision, recall, F1 (0 when the denominator is 0)", arguments: [
    // TP 3, predicted 5, support 4: P 3/5, R 3/4, F1 6/9.
    PerClassCase(label: "cat", classIndex: 0, precision: 0.6, recall: 0.75, f1: 2.0 / 3, support: 4),
    // TP 2, predicted 4, support 4.
    PerClassCase(label: "dog", classIndex: 1, precision: 0.5, recall: 0.5, f1: 0.5, support: 4),
    // Never predicted: precision 0/0 → 0; recall 0/2.
    PerClassCase(label: "bird (never predicted)", classIndex: 2, precision: 0, recall: 0, f1: 0, support: 2),
    // Never a label: recall 0/0 → 0; precision 0/1.
    PerClassCase(label: "fish (never a label)", classIndex: 3, precision: 0, recall: 0, f1: 0, support: 0),
    // Never seen: everything 0/0 → 0.
    PerClassCase(label: "eel (never seen)", classIndex: 4, precision: 0, recall: 0, f1: 0, support: 0),
])
func perClass(_ c: PerClassCase) {
    let m = Sample.metrics
    #expect(near(m.precision(c.classIndex), c.precision))
    #expect(near(m.recall(c.classIndex), c.recall))
    #expect(near(m.f1(c.classIndex), c.f1))
    #expect(m.support(c.classIndex) == c.support)
}

@Test("Macro averages cover the classes seen as label or prediction")
func macroAverages() {
    let m = Sample.metrics
    // Over cat, dog, bird, fish (eel never appears): (0.6 + 0.5 + 0 + 0) / 4 ...
    #expect(near(m.macroPrecision, 0.275))
    #expect(near(m.macroRecall, (0.75 + 0.5) / 4))
    #expect(near(m.macroF1, (2.0 / 3 + 0.5) / 4))
}

@Test("Empty metrics score 0 everywhere")
func emptyMetrics() {
    let m = ClassificationMetrics(classes: 3)
    #expect(m.count == 0 && m.accuracy == 0)
    #expect(m.macroPrecision == 0 && m.macroRecall == 0 && m.macroF1 == 0)
    #expect(m.precision(1) == 0 && m.recall(1) == 0 && m.f1(1) == 0)
}

@Test("Merging parts equals recording everything at once", arguments: [1, 3, 7])
func mergeEqualsWhole(_ chunk: Int) {
    var merged = ClassificationMetrics(classes: 5)
    var summedCounts = [Double](repeating: 0, count: 25)
    for start in stride(from: 0, to: Sample.pairs.count, by: chunk) {
        var part = ClassificationMetrics(classes: 5)
        for p in Sample.pairs[start..<min(start + chunk, Sample.pairs.count)] {
            part.record(predicted: p.predicted, label: p.label)
        }
        merged.merge(part)
        // What the trainer does: sum every rank's counts, then rebuild.
        summedCounts = zip(summedCounts, part.counts).map { $0 + $1 }
    }
    #expect(merged == Sample.metrics)
    #expect(ClassificationMetrics(classes: 5, counts: summedCounts) == Sample.metrics)
}

@Test("Counts round-trip through the flat all-reduce form")
func countsRoundTrip() {
    let m = Sample.metrics
    #expect(m.counts.count == 25)
    #expect(m.counts[0] == 3 && m.counts[1 * 5 + 3] == 1)
    #expect(ClassificationMetrics(classes: 5, counts: m.counts) == m)
}

@Test("Recording logits takes each row's argmax, the first on ties")
func recordLogits() {
    let logits: [Float] = [
        0.1, 2.0, -1.0,   // → 1
        5.0, 5.0, 1.0,    // tie → 0
        -3, -2, -1,       // → 2
        0, 0, 0,          // tie → 0
    ]
    let labels: [Float] = [1, 1, 2, 2]
    var m = ClassificationMetrics(classes: 3)
    m.record(logits: logits, labels: labels, batch: 4, classes: 3)
    #expect(m.confusion == [[0, 0, 0], [1, 1, 0], [1, 0, 1]])
    #expect(near(m.accuracy, 0.5))
}

@Test("The report lists every class, the averages and the confusion matrix")
func report() {
    let text = Sample.metrics.report(classNames: Sample.names)
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.contains { $0.hasPrefix("cat") && $0.contains("0.6000") && $0.contains("0.7500") && $0.contains("0.6667") })
    #expect(lines.contains { $0.hasPrefix("macro avg") && $0.contains("0.2750") && $0.contains("0.3125") })
    #expect(lines.contains { $0.hasPrefix("accuracy") && $0.contains("0.5000") && $0.hasSuffix("10") })
    #expect(text.contains("(macro avg over the 4 of 5 classes seen as label or prediction)"))
    #expect(text.contains("confusion matrix (rows = true class, columns = predicted)"))
    let dogRow = lines.last { $0.hasPrefix("dog") }!
    #expect(dogRow.split(separator: " ").dropFirst().map(String.init) == ["1", "2", "0", "1", "0"])
    // Without names, classes are shown by index.
    #expect(Sample.metrics.report().contains("\n0 "))
}

struct RegressionCase: CustomTestStringConvertible, Sendable {
    let label: String
    let predictions: [Float]
    let targets: [Float]
    let mse: Double, mae: Double
    var testDescription: String { label }
}

@Test("MSE and MAE", arguments: [
    // Errors -0.5, 0, 1, -2: squared 0.25 + 0 + 1 + 4 = 5.25, absolute 3.5.
    RegressionCase(label: "four values", predictions: [1, 2, 3, 4], targets: [1.5, 2, 2, 6], mse: 5.25 / 4, mae: 3.5 / 4),
    RegressionCase(label: "perfect", predictions: [0.25, -7], targets: [0.25, -7], mse: 0, mae: 0),
    RegressionCase(label: "empty", predictions: [], targets: [], mse: 0, mae: 0),
])
func regression(_ c: RegressionCase) {
    var m = RegressionMetrics()
    m.record(predictions: c.predictions, targets: c.targets, count: c.predictions.count)
    #expect(m.count == Double(c.predictions.count))
    #expect(near(m.mse, c.mse) && near(m.mae, c.mae))
    #expect(near(m.rmse, c.mse.squareRoot()))
}

@Test("Regression merge and counts equal recording everything at once")
func regressionMerge() {
    let p: [Float] = [1, 2, 3, 4], t: [Float] = [1.5, 2, 2, 6]
    var whole = RegressionMetrics()
    whole.record(predictions: p, targets: t, count: 4)
    var a = RegressionMetrics(), b = RegressionMetrics()
    p.withUnsafeBufferPointer { pp in
        t.withUnsafeBufferPointer { tt in
            a.record(predictions: pp.baseAddress!, targets: tt.baseAddress!, count: 1)
            b.record(predictions: pp.baseAddress! + 1, targets: tt.baseAddress! + 1, count: 3)
        }
    }
    let summed = RegressionMetrics(counts: zip(a.counts, b.counts).map { $0 + $1 })
    a.merge(b)
    #expect(a == whole)
    #expect(summed == whole)
    #expect(whole.counts == [5.25, 3.5, 4])
}
