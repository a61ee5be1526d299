// TrialLifecycle: a sweep trial's life as one table — its statuses, the events that move it, and
// one pure function from (status, event) to the next status and the effects the store applies;
// also how an ended attempt's facts are judged into one event. The table (`markdownTable`):
//
// | status | event | next status | effects |
// |---|---|---|---|
// | pending, interrupted | attempt started | running | count an attempt |
// | running | stop decided | running | record the stop request |
// | running | leftovers stopping | running | record the drain deadline |
// | running | reached its end | finished | end the attempt, record the result, reset lost supervisors |
// | running | ended after stop | stopped | end the attempt, record the result, reset lost supervisors |
// | running | interrupted | interrupted | end the attempt, withdraw the stop request, clear the reason, reset lost supervisors |
// | running | supervisor lost | interrupted | end the attempt, withdraw the stop request, clear the reason, count a lost supervisor |
// | running | attempt failed | pending | end the attempt, withdraw the stop request, record the failure, reset lost supervisors |
// | running | retry budget spent | failed | end the attempt, record the failure, reset lost supervisors |
// | running | diverged | failed | end the attempt, record the failure, reset lost supervisors |
// | pending, interrupted | invalid configuration | failed | count an attempt, record the failure, reset lost supervisors |
//
// Every other pair is refused (finished, stopped and failed are final). `TrialLifecycleTests`
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

    /// True while the trial still has to run (pending or interrupted).
    public var isWaiting: Bool { self == .pending || self == .interrupted }
    /// True once nothing can change the trial any more (finished, stopped or failed).
    public var isFinal: Bool { self == .finished || self == .stopped || self == .failed }
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
    /// The attempt's supervisor is gone and the processes it left were asked to stop; they are
    /// killed at `deadline` (seconds since 1970).
    case leftoversStopping(deadline: Double)
    /// The attempt got to its end with its metric (finite when judged from an attempt's files).
    case reachedEnd(metric: Double?, metrics: [String: Double])
    /// The attempt ended after early termination decided to stop it; `metric` is its last report.
    case endedAfterStop(metric: Double?, metrics: [String: Double])
    /// An explicit stop of the sweep, or a training trial's checkpointed exit (3): not a failure.
    case interrupted
    /// The supervisor vanished without recording how the command ended: not a failure, but
    /// counted (see `TrialLifecycle.lostSupervisorLimit`).
    case supervisorLost
    /// The attempt failed and the retry budget has room: the trial waits for another attempt.
    case attemptFailed(TrialFailure)
    /// The attempt failed and it was the last one `max_retries` allows.
    case retryBudgetSpent(TrialFailure)
    /// The training diverged: a retry would diverge again, so the trial fails at once.
    case diverged(TrialFailure)
    /// A waiting trial's configuration cannot make a valid job: it fails without running (its
    /// attempt counted, so it is the one that failed).
    case invalidConfiguration(TrialFailure)

    /// The event's name in the transition table.
    public var name: String {
        switch self {
        case .attemptStarted: return "attempt started"
        case .stopDecided: return "stop decided"
        case .leftoversStopping: return "leftovers stopping"
        case .reachedEnd: return "reached its end"
        case .endedAfterStop: return "ended after stop"
        case .interrupted: return "interrupted"
        case .supervisorLost: return "supervisor lost"
        case .attemptFailed: return "attempt failed"
        case .retryBudgetSpent: return "retry budget spent"
        case .diverged: return "diverged"
        case .invalidConfiguration: return "invalid configuration"
        }
    }

    /// One event of each kind (for the table and its tests).
    public static let examples: [TrialEvent] = [
        .attemptStarted, .stopDecided, .leftoversStopping(deadline: 100), .reachedEnd(metric: 0.5, metrics: ["score": 0.5]),
        .endedAfterStop(metric: 0.7, metrics: [:]), .interrupted, .supervisorLost,
        .attemptFailed(TrialFailure(message: "exit status 1")), .retryBudgetSpent(TrialFailure(message: "exit status 1")),
        .diverged(TrialFailure(message: "diverged", reason: "diverged")),
        .invalidConfiguration(TrialFailure(message: "invalid configuration")),
    ]
}

/// A change the store makes with a transition, in the same write as the new status.
public enum TrialEffect: Sendable, Equatable {
    /// attempts + 1 (the new attempt's number), its supervisor's pid forgotten.
    case countAttempt
    /// stop_requested = 1.
    case recordStopRequest
    /// The time the processes a lost supervisor left get killed (seconds since 1970).
    case recordDrainDeadline(Double)
    /// The attempt is over: its supervisor's pid and drain deadline are forgotten.
    case endAttempt
    /// The trial's metric and final metrics.
    case recordResult(metric: Double?, metrics: [String: Double])
    /// failures + 1, with the error text and named reason.
    case recordFailure(TrialFailure)
    /// stop_requested = 0 (a stop decided for this attempt does not carry over).
    case withdrawStopRequest
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
        case .recordDrainDeadline: return "record the drain deadline"
        case .endAttempt: return "end the attempt"
        case .recordResult: return "record the result"
        case .recordFailure: return "record the failure"
        case .withdrawStopRequest: return "withdraw the stop request"
        case .clearReason: return "clear the reason"
        case .countLostSupervisor: return "count a lost supervisor"
        case .resetLostSupervisors: return "reset lost supervisors"
        }
    }
}

/// One allowed step of a trial's life: from which status to which, and what else changes.
public struct TrialTransition: Sendable, Equatable {
    public var from: TrialStatus
    public var to: TrialStatus
    public var effects: [TrialEffect]
}

/// Everything known when an attempt has ended, for `TrialLifecycle.judge`.
public struct AttemptEnd: Sendable {
    /// The supervisor's record of how the command ended; nil when the supervisor vanished first.
    public var record: TrialExitRecord?
    /// What the attempt's files say (metric, complete, diverged).
    public var outcome: TrialOutcome
    /// True when early termination decided to stop the trial.
    public var stopRequested: Bool
    /// The metric of the last epoch the trial reported, if any.
    public var lastReported: Double?
    /// Failed attempts so far, and how many may fail before the trial does (`max_retries`).
    public var failures: Int
    public var maxRetries: Int
    /// Supervisors lost in a row before this attempt's end.
    public var lostSupervisors: Int
    /// The sweep's metric name, and `trial_timeout` in seconds when there is one (for messages).
    public var metricName: String
    public var trialTimeout: Double?
    /// The last lines of the trial's log (added to a failure's error text).
    public var logTail: String

    public init(record: TrialExitRecord?, outcome: TrialOutcome, stopRequested: Bool, lastReported: Double?, failures: Int,
                maxRetries: Int, lostSupervisors: Int, metricName: String, trialTimeout: Double? = nil, logTail: String = "") {
        self.record = record
        self.outcome = outcome
        self.stopRequested = stopRequested
        self.lastReported = lastReported
        self.failures = failures
        self.maxRetries = maxRetries
        self.lostSupervisors = lostSupervisors
        self.metricName = metricName
        self.trialTimeout = trialTimeout
        self.logTail = logTail
    }
}

/// The trial state machine: pure functions, applied by `SweepStore.apply`.
public enum TrialLifecycle {
    /// Supervisors lost in a row (the command never gets going) after which the attempt counts as failed.
    public static let lostSupervisorLimit = 3

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
        case (.running, .leftoversStopping(let deadline)):
            return to(.running, [.recordDrainDeadline(deadline)])
        case (.running, .reachedEnd(let metric, let metrics)):
            return to(.finished, [.endAttempt, .recordResult(metric: metric, metrics: metrics), .resetLostSupervisors])
        case (.running, .endedAfterStop(let metric, let metrics)):
            return to(.stopped, [.endAttempt, .recordResult(metric: metric, metrics: metrics), .resetLostSupervisors])
        case (.running, .interrupted):
            return to(.interrupted, [.endAttempt, .withdrawStopRequest, .clearReason, .resetLostSupervisors])
        case (.running, .supervisorLost):
            return to(.interrupted, [.endAttempt, .withdrawStopRequest, .clearReason, .countLostSupervisor])
        case (.running, .attemptFailed(let failure)):
            return to(.pending, [.endAttempt, .withdrawStopRequest, .recordFailure(failure), .resetLostSupervisors])
        case (.running, .retryBudgetSpent(let failure)), (.running, .diverged(let failure)):
            return to(.failed, [.endAttempt, .recordFailure(failure), .resetLostSupervisors])
        default:
            return nil
        }
    }

    /// How an ended attempt is judged, in this order: early termination's decision wins (ended
    /// after stop) unless the attempt got to its end (exit 0, a complete finite result); a
    /// time-out is a failure with reason `timeout`; exit 0 with the metric — or, without a
    /// recorded end, a complete result in its output — reached its end; a supervisor lost for the
    /// `lostSupervisorLimit`-th time in a row is a failure; a lost supervisor, an explicit stop or
    /// a checkpointed exit (3) is interrupted; a diverged training fails at once; anything else
    /// is a failure. A failure is retried while `max_retries` allows (attempt failed), else the
    /// retry budget is spent.
    public static func judge(_ end: AttemptEnd) -> TrialEvent {
        let outcome = end.outcome
        let status = end.record?.status
        let reachedItsEnd = status == 0 && outcome.complete && outcome.metric != nil
        if end.stopRequested && !reachedItsEnd {
            return .endedAfterStop(metric: end.lastReported ?? outcome.metric, metrics: outcome.metrics)
        }
        if end.record?.ended == .timeout {
            let limit = end.trialTimeout.map { SweepConsole.format($0) } ?? "?"
            return failure(end, reason: "timeout", message: "stopped after the trial_timeout of \(limit) s")
        }
        if let metric = outcome.metric, status == 0 || (status == nil && outcome.complete) {
            return .reachedEnd(metric: metric, metrics: outcome.metrics)
        }
        if end.record == nil {
            guard end.lostSupervisors + 1 < lostSupervisorLimit else {
                return failure(end, reason: nil, message: "its supervisor ended without recording how the command ended, "
                               + "\(lostSupervisorLimit) times in a row")
            }
            return .supervisorLost
        }
        if end.record?.ended == .stopped || status == 3 { return .interrupted }
        if outcome.diverged && status != 0 {
            return .diverged(TrialFailure(message: "diverged",
                                          error: "diverged: its training loss or weights stopped being finite (see metrics.jsonl)",
                                          reason: "diverged"))
        }
        let message = status == 0
            ? "the trial ended without a finite \(end.metricName) (found: \(outcome.metrics.keys.sorted().joined(separator: ", ")))"
            : "exit status \(status!)"
        return failure(end, reason: nil, message: message)
    }

    /// A failed attempt: retried while the budget allows, else final. Its error is the message,
    /// the log's last line after it, and the log's last lines.
    private static func failure(_ end: AttemptEnd, reason: String?, message: String) -> TrialEvent {
        let lastLine = end.logTail.split(separator: "\n").last.map { ": " + $0 } ?? ""
        let failure = TrialFailure(message: message, error: message + lastLine + "\n" + end.logTail, reason: reason)
        return end.failures < end.maxRetries ? .attemptFailed(failure) : .retryBudgetSpent(failure)
    }

    /// The transition table as Markdown: one row per allowed (status, event) pair of
    /// `TrialEvent.examples`, statuses with the same outcome merged.
    public static func markdownTable() -> String {
        var rows: [String] = ["| status | event | next status | effects |", "|---|---|---|---|"]
        for event in TrialEvent.examples {
            var groups: [(from: [TrialStatus], to: TrialStatus, effects: [String])] = []
            for status in TrialStatus.allCases {
                guard let t = transition(from: status, on: event) else { continue }
                let effects = t.effects.map(\.name)
                if let i = groups.firstIndex(where: { $0.to == t.to && $0.effects == effects }) {
                    groups[i].from.append(status)
                } else {
                    groups.append(([status], t.to, effects))
                }
            }
            for g in groups {
                rows.append("| \(g.from.map(\.rawValue).joined(separator: ", ")) | \(event.name) | \(g.to.rawValue) | "
                            + g.effects.joined(separator: ", ") + " |")
            }
        }
        return rows.joined(separator: "\n")
    }
}
