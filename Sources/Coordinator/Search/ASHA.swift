// ASHA: asynchronous successive halving (`early_terminate: {type: hyperband, min_iter, eta,
// max_iter}`) — a trial reaching a rung outside the top 1/eta of that rung's trials is stopped.
import Foundation

/// Asynchronous successive halving over reported epochs.
///
/// Rungs are the epochs minIter · eta^k (k = 0, 1, …), below `maxIter` when one is given. When a
/// trial reports a rung epoch, it is compared with every trial of the history that has reported
/// that epoch (finished, stopped and running alike, itself included): it continues only when its
/// value is among the best ⌊n / eta⌋ of those n values — or, while fewer than eta trials have
/// reached the rung, only when it is the best so far (ties continue). A NaN or infinite value
/// (either sign, for either goal) is the worst value, and so is a rung reported without the
/// metric: `SweepStore.observations` gives such a rung NaN.
/// Works with any search method: it looks only at `intermediate` metrics. A stopped trial keeps
/// its metrics; Bayesian search counts it at its last reported value.
public struct ASHA: EarlyTerminationPolicy, Sendable, Equatable {
    /// First rung (epochs); at least 1.
    public let minIter: Int
    /// Reduction factor; at least 2 (W&B's default is 3).
    public let eta: Int
    /// No rung at or beyond this epoch (nil: rungs go on forever).
    public let maxIter: Int?

    /// ASHA with rungs at minIter · eta^k, below maxIter when given (default eta 3, no maxIter).
    public init(minIter: Int, eta: Int = 3, maxIter: Int? = nil) {
        precondition(minIter >= 1, "min_iter must be at least 1")
        precondition(eta >= 2, "eta must be at least 2")
        self.minIter = minIter
        self.eta = eta
        self.maxIter = maxIter
    }

    /// The rung epochs up to `limit` (inclusive).
    public func rungs(upTo limit: Int) -> [Int] {
        var result: [Int] = []
        var r = minIter
        while r <= limit, maxIter.map({ r < $0 }) ?? true {
            result.append(r)
            let (next, overflow) = r.multipliedReportingOverflow(by: eta)
            if overflow { break }
            r = next
        }
        return result
    }

    /// True when `epoch` is a rung.
    public func isRung(_ epoch: Int) -> Bool { rungs(upTo: epoch).last == epoch }

    public func shouldStop(trial id: Int, epoch: Int, history: [TrialObservation], goal: MetricGoal) -> Bool {
        guard isRung(epoch), let me = history.first(where: { $0.id == id }), let mine = me.intermediate[epoch] else {
            return false
        }
        // Lower is better after this sign change; NaN and ±infinity sort as the worst.
        func key(_ v: Double) -> Double { v.isFinite ? (goal == .minimize ? v : -v) : .infinity }
        // A rung without a finite value is the worst place, even alone or among its like.
        guard mine.isFinite else { return true }
        let values = history.compactMap { $0.intermediate[epoch] }.map(key).sorted()
        let keep = max(1, values.count / eta)
        return key(mine) > values[keep - 1]
    }
}
