// A short way for tests to start a stored trial's attempt (through `apply`).
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
}
