// TrialLifecycle: a sweep trial's life as one table — its statuses, the events that move it, and
// one pure function from (status, event) to the next status and the effects the store applies;
// how an ended attempt's facts are judged into one event is in AttemptJudging. The table (as
// `TrialLifecycleTests` prints it):
//
// | status | event | next status | effects |
// |---|---|---|---|
// | pending, interrupted | attempt started | running | count an attempt |
// | running | stop decided | running | record the stop request |
// | running | pause decided | running | record the pause request |
// | running | leftovers stopping | running | record the drain deadline |
// | running | reached its end | finished | end the attempt, record the result, withdraw the stop request, reset lost supervisors |
// | running | ended after stop | stopped | end the attempt, record the result, reset lost supervisors |
// | running | ended after pause | paused | end the attempt, record the result, reset lost supervisors |
// | paused | promoted | pending | count a promotion, withdraw the stop request |
// | running | reached its generation's end | paused | end the attempt, record the result, reset lost supervisors |
// | paused | next generation | pending | take its next configuration |
// | running | interrupted | interrupted | end the attempt, withdraw the stop request, clear the reason, reset lost supervisors |
// | running | supervisor lost | interrupted | end the attempt, withdraw the stop request, clear the reason, count a lost supervisor |
// | running | supervisor never started | interrupted | end the attempt, withdraw the stop request, clear the reason |
// | running | attempt failed | pending | end the attempt, withdraw the stop request, record the failure, reset lost supervisors |
// | running | retry budget spent | failed | end the attempt, record the failure, reset lost supervisors |
// | running | diverged | failed | end the attempt, record the failure, reset lost supervisors |
// | pending, interrupted | invalid configuration | failed | count an attempt, record the failure, reset lost supervisors |
//
// Every other pair is refused (finished, stopped and failed are final; paused waits for a
// promotion, or for population-based training's next generation). `TrialLifecycleTests`
// checks this table against the function.
import Foundation

/// The state of a trial, as the store holds it and the search strategies see it.
public enum TrialStatus: String, Sendable, Equatable, CaseIterable {
    /// Suggested, not started yet (or waiting for a retry after a failed attempt).
    case pending
    /// Its supervisor runs (or ran while no coordinator was watching).
    case running
    /// Ended with a metric.
    case finished
    /// Failed on its last allowed attempt (non-zero exit, no metric, or `trial_timeout`).
    case failed
    /// Ended early by early termination; its metric is the last one it reported.
    case stopped
    /// Stopped by an explicit stop of the sweep; waits to be resumed (counts as pending).
    case interrupted
    /// Below a rung's cut under successive halving with `pause: true`: stopped with its
    /// checkpoint, its metric the rung's; promoted (pending again, resuming where it stopped)
    /// once later trials put it among the best 1/eta at that rung. Under population-based
    /// training: a member at the end of a generation, waiting for the others and the decision.
    case paused

    /// True while the trial still has to run (pending or interrupted).
    public var isWaiting: Bool { self == .pending || self == .interrupted }
    /// True once nothing can change the trial any more (finished, stopped or failed).
    public var isFinal: Bool { self == .finished || self == .stopped || self == .failed }
    /// True when the trial's metric ranks it: finished, or ended early at a rung (stopped or
    /// paused, its metric the last one it reported).
    public var isRanked: Bool { self == .finished || self == .stopped || self == .paused }
}

/// A failed attempt as recorded: the full error text (message and the log's last lines) and
/// its named reason (`timeout`, `diverged`), if it has one.
public struct TrialFailure: Sendable, Equatable {
    /// One line saying what went wrong (`exit status 1`).
    public var message: String
    /// What is stored: the message with the attempt's last log lines.
    public var error: String
    /// A name for the kind of failure (`timeout`, `diverged`), nil for others.
    public var reason: String?
    /// A failure saying `message`, storing `error` (default: the message alone) with `reason`
    /// (default none).
    public init(message: String, error: String? = nil, reason: String? = nil) {
        self.message = message
        self.error = error ?? message
        self.reason = reason
    }
}

/// What happens to a trial.
public enum TrialEvent: Sendable, Equatable {
    /// An attempt is about to be launched (recorded before its process exists).
    case attemptStarted
    /// Early termination decided to stop the running trial (recorded before it is signalled).
    case stopDecided
    /// Successive halving with `pause: true` decided to pause the running trial at the rung
    /// `rung` (recorded before it is signalled).
    case pauseDecided(rung: Int)
    /// The attempt's supervisor is gone and the processes it left were asked to stop; they are
    /// killed at `deadline` (seconds since 1970).
    case leftoversStopping(deadline: Double)
    /// The attempt got to its end with its metric (finite when judged from an attempt's files).
    case reachedEnd(metric: Double?, metrics: [String: Double])
    /// The attempt ended after early termination decided to stop it; `metric` is its last report.
    case endedAfterStop(metric: Double?, metrics: [String: Double])
    /// The attempt ended after successive halving decided to pause it; `metric` is its last report.
    case endedAfterPause(metric: Double?, metrics: [String: Double])
    /// Later results put the paused trial among the best 1/eta at its rung: it waits to resume
    /// from its checkpoint.
    case promoted
    /// A population-based training member stopped where its generation ends (`--stop-after`),
    /// with a checkpoint; `metric` is what it reported there.
    case generationEnded(metric: Double?, metrics: [String: Double])
    /// The population's decision for the next generation: the member waits to train it with
    /// `configuration` (from its own checkpoint, or the one it copied).
    case nextGeneration(configuration: Configuration)
    /// An explicit stop of the sweep, or a training trial's checkpointed exit (3): not a failure.
    case interrupted
    /// The supervisor vanished without recording how the command ended: not a failure, but
    /// counted (see `TrialLifecycle.lostSupervisorLimit`).
    case supervisorLost
    /// The attempt's supervisor never started (the coordinator died, or could not start it,
    /// right after marking the trial running): not a failure, and no lost supervisor either —
    /// the count neither grows nor starts again.
    case supervisorNeverStarted
    /// The attempt failed and the retry budget has room: the trial waits for another attempt.
    case attemptFailed(TrialFailure)
    /// The attempt failed and it was the last one `max_retries` allows.
    case retryBudgetSpent(TrialFailure)
    /// The training diverged: a retry would diverge again, so the trial fails at once.
    case diverged(TrialFailure)
    /// A waiting trial's configuration cannot make a valid job: it fails without running (its
    /// attempt counted, so it is the one that failed).
    case invalidConfiguration(TrialFailure)

    /// The kinds of event, one per case (its raw value is the event's name in the transition
    /// table); `TrialLifecycleTests` checks that `examples` holds one event of each.
    public enum Kind: String, Sendable, CaseIterable {
        case attemptStarted = "attempt started"
        case stopDecided = "stop decided"
        case pauseDecided = "pause decided"
        case leftoversStopping = "leftovers stopping"
        case reachedEnd = "reached its end"
        case endedAfterStop = "ended after stop"
        case endedAfterPause = "ended after pause"
        case promoted = "promoted"
        case generationEnded = "reached its generation's end"
        case nextGeneration = "next generation"
        case interrupted = "interrupted"
        case supervisorLost = "supervisor lost"
        case supervisorNeverStarted = "supervisor never started"
        case attemptFailed = "attempt failed"
        case retryBudgetSpent = "retry budget spent"
        case diverged = "diverged"
        case invalidConfiguration = "invalid configuration"
    }

    /// The event's kind.
    public var kind: Kind {
        switch self {
        case .attemptStarted: return .attemptStarted
        case .stopDecided: return .stopDecided
        case .pauseDecided: return .pauseDecided
        case .leftoversStopping: return .leftoversStopping
        case .reachedEnd: return .reachedEnd
        case .endedAfterStop: return .endedAfterStop
        case .endedAfterPause: return .endedAfterPause
        case .promoted: return .promoted
        case .generationEnded: return .generationEnded
        case .nextGeneration: return .nextGeneration
        case .interrupted: return .interrupted
        case .supervisorLost: return .supervisorLost
        case .supervisorNeverStarted: return .supervisorNeverStarted
        case .attemptFailed: return .attemptFailed
        case .retryBudgetSpent: return .retryBudgetSpent
        case .diverged: return .diverged
        case .invalidConfiguration: return .invalidConfiguration
        }
    }

    /// The event's name in the transition table.
    public var name: String { kind.rawValue }
}

/// A change the store makes with a transition, in the same write as the new status.
public enum TrialEffect: Sendable, Equatable {
    /// attempts + 1 (the new attempt's number), its supervisor's pid forgotten.
    case countAttempt
    /// stop_requested = 1.
    case recordStopRequest
    /// stop_requested = 1 and pause_rung = the rung: the stop is a pause.
    case recordPauseRequest(rung: Int)
    /// The time the processes a lost supervisor left get killed (seconds since 1970).
    case recordDrainDeadline(Double)
    /// The attempt is over: its supervisor's pid and drain deadline are forgotten.
    case endAttempt
    /// The trial's metric and final metrics.
    case recordResult(metric: Double?, metrics: [String: Double])
    /// failures + 1, with the error text and named reason.
    case recordFailure(TrialFailure)
    /// stop_requested = 0 and pause_rung = NULL (a stop or pause decided for this attempt does
    /// not carry over).
    case withdrawStopRequest
    /// promotions + 1.
    case countPromotion
    /// The trial's configuration becomes this one (population-based training's next generation).
    case recordConfiguration(Configuration)
    /// reason = NULL (an interrupted trial did not fail).
    case clearReason
    /// One more supervisor lost in a row.
    case countLostSupervisor
    /// The lost supervisors in a row start again from 0.
    case resetLostSupervisors

    /// The effect's name in the transition table.
    public var name: String {
        switch self {
        case .countAttempt: return "count an attempt"
        case .recordStopRequest: return "record the stop request"
        case .recordPauseRequest: return "record the pause request"
        case .recordDrainDeadline: return "record the drain deadline"
        case .endAttempt: return "end the attempt"
        case .recordResult: return "record the result"
        case .recordFailure: return "record the failure"
        case .withdrawStopRequest: return "withdraw the stop request"
        case .countPromotion: return "count a promotion"
        case .recordConfiguration: return "take its next configuration"
        case .clearReason: return "clear the reason"
        case .countLostSupervisor: return "count a lost supervisor"
        case .resetLostSupervisors: return "reset lost supervisors"
        }
    }
}

/// One allowed step of a trial's life: from which status to which, and what else changes.
public struct TrialTransition: Sendable, Equatable {
    /// The status the trial leaves (the store applies the transition only while it is in it).
    public var from: TrialStatus
    /// The status the trial takes.
    public var to: TrialStatus
    /// What else the store changes in the same write, in order.
    public var effects: [TrialEffect]
}

/// A transition the store was asked to make that cannot be made: the lifecycle does not allow
/// the event in the status given, or the trial is in that status and still nothing changed. A
/// coordinator's own mistake, never a state of the sweep: the sweep stops rather than leave a
/// trial unwatched.
public struct TrialTransitionError: Error, CustomStringConvertible {
    public var trial: Int
    public var status: TrialStatus
    public var event: String
    public var description: String {
        "internal error: trial \(trial): '\(event)' cannot be applied to a trial \(status.rawValue)"
    }
}

/// The trial state machine: pure functions, applied by `SweepStore.apply` (judging an ended
/// attempt is in AttemptJudging.swift).
public enum TrialLifecycle {
    /// The next status and effects of a trial in `status` on `event`; nil when the event cannot
    /// happen in that status (the caller refuses it and says so).
    public static func transition(from status: TrialStatus, on event: TrialEvent) -> TrialTransition? {
        func to(_ next: TrialStatus, _ effects: [TrialEffect]) -> TrialTransition {
            TrialTransition(from: status, to: next, effects: effects)
        }
        switch (status, event) {
        case (.pending, .attemptStarted), (.interrupted, .attemptStarted):
            return to(.running, [.countAttempt])
        case (.pending, .invalidConfiguration(let failure)), (.interrupted, .invalidConfiguration(let failure)):
            return to(.failed, [.countAttempt, .recordFailure(failure), .resetLostSupervisors])
        case (.running, .stopDecided):
            return to(.running, [.recordStopRequest])
        case (.running, .pauseDecided(let rung)):
            return to(.running, [.recordPauseRequest(rung: rung)])
        case (.running, .leftoversStopping(let deadline)):
            return to(.running, [.recordDrainDeadline(deadline)])
        case (.running, .reachedEnd(let metric, let metrics)):
            return to(.finished, [.endAttempt, .recordResult(metric: metric, metrics: metrics), .withdrawStopRequest, .resetLostSupervisors])
        case (.running, .endedAfterStop(let metric, let metrics)):
            return to(.stopped, [.endAttempt, .recordResult(metric: metric, metrics: metrics), .resetLostSupervisors])
        case (.running, .endedAfterPause(let metric, let metrics)):
            return to(.paused, [.endAttempt, .recordResult(metric: metric, metrics: metrics), .resetLostSupervisors])
        case (.paused, .promoted):
            return to(.pending, [.countPromotion, .withdrawStopRequest])
        case (.running, .generationEnded(let metric, let metrics)):
            return to(.paused, [.endAttempt, .recordResult(metric: metric, metrics: metrics), .resetLostSupervisors])
        case (.paused, .nextGeneration(let configuration)):
            return to(.pending, [.recordConfiguration(configuration)])
        case (.running, .interrupted):
            return to(.interrupted, [.endAttempt, .withdrawStopRequest, .clearReason, .resetLostSupervisors])
        case (.running, .supervisorLost):
            return to(.interrupted, [.endAttempt, .withdrawStopRequest, .clearReason, .countLostSupervisor])
        case (.running, .supervisorNeverStarted):
            return to(.interrupted, [.endAttempt, .withdrawStopRequest, .clearReason])
        case (.running, .attemptFailed(let failure)):
            return to(.pending, [.endAttempt, .withdrawStopRequest, .recordFailure(failure), .resetLostSupervisors])
        case (.running, .retryBudgetSpent(let failure)), (.running, .diverged(let failure)):
            return to(.failed, [.endAttempt, .recordFailure(failure), .resetLostSupervisors])
        default:
            return nil
        }
    }
}
