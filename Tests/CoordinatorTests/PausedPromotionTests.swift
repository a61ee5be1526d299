// PausedPromotionTests: successive halving that pauses, without processes — when a paused trial
// is promoted (at its rung and every later rung it reported before the pause took hold) and which
// metric a paused trial keeps.
import Testing
@testable import Coordinator

@Suite struct PausedPromotionTests {
    static func trial(_ id: Int, _ values: [Int: Double]) -> TrialObservation {
        TrialObservation(id: id, configuration: [:], status: id == 2 ? .paused : .finished, intermediate: values)
    }

    @Test("promoted when among the best at its rung and at every later rung it reported; never without a value there")
    func promotable() {
        let halving = ASHA(minIter: 1, eta: 2)
        func history(_ second: [Int: Double]) -> [TrialObservation] {
            [Self.trial(1, [1: 0.1, 2: 0.1]), Self.trial(2, second), Self.trial(3, [1: 0.3, 2: 0.2]), Self.trial(4, [1: 0.6])]
        }
        // Rung 1: 4 trials, the best 2 go on (0.1 and 0.2).
        #expect(SweepRunner.promotable(2, pausedAt: 1, history: history([1: 0.2]), policy: halving, goal: .minimize))
        #expect(!SweepRunner.promotable(2, pausedAt: 1, history: history([1: 0.5]), policy: halving, goal: .minimize))
        // It reported rung 2 before the pause took hold: there it must be the best of 3.
        #expect(!SweepRunner.promotable(2, pausedAt: 1, history: history([1: 0.2, 2: 0.9]), policy: halving, goal: .minimize))
        #expect(SweepRunner.promotable(2, pausedAt: 1, history: history([1: 0.2, 2: 0.05, 3: 0.04]), policy: halving, goal: .minimize))
        #expect(!SweepRunner.promotable(2, pausedAt: 1, history: history([2: 0.05]), policy: halving, goal: .minimize))
        #expect(!SweepRunner.promotable(2, pausedAt: 1, history: history([1: .nan]), policy: halving, goal: .minimize))
    }

    @Test("a paused trial keeps its rung's metric, a stopped one its last")
    func keptMetric() {
        let epochs: [Int: [String: Double]] = [1: ["val_loss": 0.9], 2: ["val_loss": 0.7], 3: ["loss": 0.5]]
        #expect(SweepRunner.stoppedMetric(epochs, metric: "val_loss", pausedAt: 1) == 0.9)
        #expect(SweepRunner.stoppedMetric(epochs, metric: "val_loss", pausedAt: nil) == nil)   // the last epoch has none
        #expect(SweepRunner.stoppedMetric([1: ["val_loss": 0.9], 2: ["val_loss": 0.7]], metric: "val_loss", pausedAt: nil) == 0.7)
    }
}
