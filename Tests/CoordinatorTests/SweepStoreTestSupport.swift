// Short ways for tests to move a stored trial through its lifecycle (all through `apply`).
import Foundation
@testable import Coordinator

extension SweepStore {
    /// Applies an attempt's start to a waiting trial (in `status`, default pending); its
    /// attempt's number, nil when the trial was not in `status`.
    @discardableResult
    func markRunning(_ id: Int, from status: TrialStatus = .pending) throws -> Int? {
        guard try apply(.attemptStarted, to: id, from: status) != nil else { return nil }
        return try attempts(id)
    }

    /// Applies a running trial's end as finished (`reached its end`) or stopped (`ended after stop`).
    @discardableResult
    func finish(_ id: Int, status: TrialStatus, metric: Double?, finalMetrics: [String: Double] = [:]) throws -> Bool {
        let event: TrialEvent = status == .stopped ? .endedAfterStop(metric: metric, metrics: finalMetrics)
                                                   : .reachedEnd(metric: metric, metrics: finalMetrics)
        return try apply(event, to: id, from: .running) != nil
    }

    /// Applies a running trial's last failed attempt (`retry budget spent`) with `error`.
    @discardableResult
    func fail(_ id: Int, error: String, reason: String? = nil) throws -> Bool {
        try apply(.retryBudgetSpent(TrialFailure(message: error, reason: reason)), to: id, from: .running) != nil
    }
}
