// ASHA tests: rungs at min_iter · eta^k below max_iter, and the right trials stopped on a
// scripted sequence of reported metrics, for both goals.
import Testing
@testable import Coordinator

@Test("rungs are min_iter · eta^k, below max_iter")
func rungs() {
    #expect(ASHA(minIter: 1, eta: 3).rungs(upTo: 100) == [1, 3, 9, 27, 81])
    #expect(ASHA(minIter: 2, eta: 2, maxIter: 16).rungs(upTo: 100) == [2, 4, 8])
    #expect(ASHA(minIter: 1, eta: 3).isRung(9) && !ASHA(minIter: 1, eta: 3).isRung(4))
}

/// One report: trial `id` reports `value` at `epoch`; `stop` is what ASHA must answer.
struct Report: Sendable { let id: Int, epoch: Int, value: Double, stop: Bool }

struct ASHAScript: CustomTestStringConvertible, Sendable {
    let label: String
    let policy: ASHA
    let goal: MetricGoal
    let reports: [Report]
    var testDescription: String { label }
}

private func r(_ id: Int, _ epoch: Int, _ value: Double, _ stop: Bool) -> Report { Report(id: id, epoch: epoch, value: value, stop: stop) }

private let scripts: [ASHAScript] = [
    ASHAScript(label: "minimise, eta 3", policy: ASHA(minIter: 1, eta: 3, maxIter: 27), goal: .minimize, reports: [
        r(0, 1, 0.50, false),   // first at rung 1: best so far
        r(1, 1, 0.70, true),    // 2 at the rung, fewer than eta: only the best continues
        r(2, 1, 0.30, false),   // new best
        r(0, 2, 0.45, false),   // epoch 2 is not a rung
        r(3, 1, 0.60, true),    // 4 at the rung: keep ⌊4/3⌋ = 1 → only 0.30
        r(4, 1, 0.35, true),    // 5 at the rung: keep ⌊5/3⌋ = 1 → only 0.30
        r(5, 1, 0.20, false),   // 6 at the rung: keep 2 → {0.20, 0.30}
        r(6, 1, 0.40, true),    // 7: keep 2 → 0.40 out
        r(2, 3, 0.25, false),   // first at rung 3
        r(0, 3, 0.28, true),    // second at rung 3, not the best
        r(5, 3, 0.10, false),
    ]),
    ASHAScript(label: "maximise, eta 2", policy: ASHA(minIter: 2, eta: 2), goal: .maximize, reports: [
        r(0, 2, 0.60, false),
        r(1, 2, 0.70, false),   // keep ⌊2/2⌋ = 1: 0.70 is the best
        r(2, 2, 0.65, true),    // keep ⌊3/2⌋ = 1 → only 0.70
        r(3, 2, 0.90, false),
        r(4, 2, 0.61, true),    // keep 2 of 5: {0.90, 0.70}
        r(5, 2, .nan, true),    // NaN is the worst
        r(0, 3, 0.10, false),   // not a rung
    ]),
    // Infinities of either sign are the worst value for either goal, never the best.
    ASHAScript(label: "minimise, infinities", policy: ASHA(minIter: 1, eta: 2), goal: .minimize, reports: [
        r(0, 1, 0.50, false),
        r(1, 1, -.infinity, true),   // the "lowest" loss is a diverged one
        r(2, 1, .infinity, true),
        r(3, 1, 0.40, false),
    ]),
    // A rung without a finite value stops even when it is the first or only one there.
    ASHAScript(label: "minimise, not finite first", policy: ASHA(minIter: 1, eta: 2), goal: .minimize, reports: [
        r(0, 1, .nan, true),
        r(1, 1, .infinity, true),
        r(2, 1, 0.40, false),
    ]),
    ASHAScript(label: "maximise, infinities", policy: ASHA(minIter: 1, eta: 2), goal: .maximize, reports: [
        r(0, 1, 0.50, false),
        r(1, 1, .infinity, true),    // the "highest" accuracy is not a number
        r(2, 1, -.infinity, true),
        r(3, 1, 0.60, false),
    ]),
]

@Test("ASHA stops the right trials on a scripted sequence", arguments: scripts)
func ashaScript(_ script: ASHAScript) {
    var history: [Int: TrialObservation] = [:]
    for (step, report) in script.reports.enumerated() {
        history[report.id, default: TrialObservation(id: report.id, configuration: [:], status: .running)]
            .intermediate[report.epoch] = report.value
        let stop = script.policy.shouldStop(trial: report.id, epoch: report.epoch,
                                            history: history.values.sorted { $0.id < $1.id }, goal: script.goal)
        #expect(stop == report.stop, "report \(step): trial \(report.id) epoch \(report.epoch) value \(report.value)")
    }
}
