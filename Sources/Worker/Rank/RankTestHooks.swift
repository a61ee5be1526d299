// RankTestHooks: every failure the tests inject into a rank's life, in one place — a rank that
// fails at a step (error, kill, hang, a stop signal), a delayed start, slow steps and a slow checkpoint save.
// Crashes inside one component's durable steps stay with that component (CrashPoint, named by
// the component), as does the host-memory override HostMemory reads.
import Foundation

/// Test hooks of one run. The failing rank comes from `ringtrain worker` flags; the delays from
/// environment variables, so they reach ranks however they were started.
public struct RankTestHooks: Sendable, Codable, Equatable {
    /// How an injected failure shows: an error, SIGKILL, a hang, or a stop request on this rank
    /// alone (as if only it received SIGTERM; the job should stop everywhere, with a checkpoint).
    public enum Failure: String, Sendable, Codable, CaseIterable { case error, kill, hang, signal }

    /// The rank that fails (`--fail-rank`, default nil: none).
    public var failRank: Int?
    /// The global step it fails at (`--fail-step`, default nil: none).
    public var failStep: Int?
    /// How it fails (`--fail-mode`, default `error`).
    public var failMode = Failure.error

    public init(failRank: Int? = nil, failStep: Int? = nil, failMode: Failure = .error) {
        (self.failRank, self.failStep, self.failMode) = (failRank, failStep, failMode)
    }

    /// The step `rank` fails at, if it is the failing rank.
    public func failStep(rank: Int) -> Int? {
        guard let failRank, let failStep, failRank == rank else { return nil }
        return failStep
    }

    /// The `ringtrain worker` arguments that set these hooks.
    var arguments: [String] {
        var arguments: [String] = []
        if let failRank { arguments += ["--fail-rank", "\(failRank)"] }
        if let failStep { arguments += ["--fail-step", "\(failStep)"] }
        if failMode != .error { arguments += ["--fail-mode", failMode.rawValue] }
        return arguments
    }

    /// Seconds a rank waits before MPI starts (`RINGTRAIN_TEST_START_DELAY`, 0 to 60): holds the
    /// start-up window open for a signal.
    static var startDelay: Double? {
        ProcessInfo.processInfo.environment["RINGTRAIN_TEST_START_DELAY"].flatMap(Double.init).flatMap { (0...60).contains($0) ? $0 : nil }
    }

    /// Seconds every checkpoint save first sleeps (`RINGTRAIN_TEST_SAVE_DELAY`), to show that a
    /// slow save is not taken for a dead rank.
    static let saveDelay: Double? = ProcessInfo.processInfo.environment["RINGTRAIN_TEST_SAVE_DELAY"].flatMap(Double.init)

    /// Seconds each rank sleeps after every optimizer step (`RINGTRAIN_TEST_STEP_DELAY`, 0 to 10):
    /// makes a tiny run last long enough for time-based saves (`checkpoint.every_seconds`).
    static let stepDelay: Double? = ProcessInfo.processInfo.environment["RINGTRAIN_TEST_STEP_DELAY"]
        .flatMap(Double.init).flatMap { (0...10).contains($0) ? $0 : nil }

    /// The one rank that sleeps `stepDelay` (`RINGTRAIN_TEST_SLOW_RANK`; unset: every rank), to
    /// make a straggler on purpose.
    static let slowRank: Int? = ProcessInfo.processInfo.environment["RINGTRAIN_TEST_SLOW_RANK"].flatMap { Int($0) }

    /// The seconds `rank` sleeps after every step, if any.
    static func stepDelay(rank: Int) -> Double? {
        slowRank.map { $0 == rank } ?? true ? stepDelay : nil
    }

    /// Ends this rank as `failMode` says once training stopped at the failing step.
    func fail(atStep step: Int) throws {
        switch failMode {
        case .error: throw TrainingError("injected failure at step \(step) (test hook --fail-step)")
        case .kill: kill(getpid(), SIGKILL)
        case .hang: while true { sleep(60) }
        case .signal: break   // never reached: the request stops training through `stopAgreed`
        }
    }
}
