// AttemptJudging: how the facts of an ended trial attempt (the supervisor's record, what the
// attempt's files say, the stored trial) are judged into the one TrialEvent that TrialLifecycle
// applies.
import Foundation

/// Everything known when an attempt has ended, for `TrialLifecycle.judge`.
public struct AttemptEnd: Sendable {
    /// The supervisor's record of how the command ended; nil when the supervisor vanished first.
    public var record: TrialExitRecord?
    /// What the attempt's files say (metric, complete, diverged).
    public var outcome: TrialOutcome
    /// True when early termination decided to stop the trial.
    public var stopRequested: Bool
    /// True when that stop is a pause (successive halving with `pause: true`). Default false.
    public var pauseRequested: Bool
    /// True when the trial has a checkpoint that verifies at or after the rung it was to pause
    /// at, so a promotion can resume it there. Default false.
    public var pauseHeld = false
    /// The epoch (or evaluation) a population member's attempt was told to stop after
    /// (`--stop-after`); nil otherwise. Default nil.
    public var generationEnd: Int?
    /// The last epoch (or evaluation) the trial reported, if any. Default nil.
    public var lastProgress: Int?
    /// False when a program's population member left its save folder empty. Default true.
    public var generationSaved = true
    /// The metric of the last epoch the trial reported, if any.
    public var lastReported: Double?
    /// Failed attempts so far.
    public var failures: Int
    /// How many attempts may fail before the trial does (`max_retries`).
    public var maxRetries: Int
    /// Supervisors lost in a row before this attempt's end.
    public var lostSupervisors: Int
    /// The sweep's metric name (for messages).
    public var metricName: String
    /// `trial_timeout` in seconds when there is one (for messages).
    public var trialTimeout: Double?
    /// False when the attempt's supervisor never started: no pid recorded, no attempt marker in
    /// its log, no recorded end (the coordinator died, or could not start it, right after marking
    /// the trial running). Such an attempt is not counted as a lost supervisor.
    public var supervisorStarted: Bool
    /// The last lines of the trial's log (added to a failure's error text).
    public var logTail: String

    public init(record: TrialExitRecord?, outcome: TrialOutcome, stopRequested: Bool, lastReported: Double?, failures: Int,
                maxRetries: Int, lostSupervisors: Int, metricName: String, trialTimeout: Double? = nil, logTail: String = "",
                supervisorStarted: Bool = true, pauseRequested: Bool = false, generationEnd: Int? = nil, lastProgress: Int? = nil) {
        self.record = record
        self.outcome = outcome
        self.stopRequested = stopRequested
        self.pauseRequested = pauseRequested
        self.generationEnd = generationEnd
        self.lastProgress = lastProgress
        self.lastReported = lastReported
        self.failures = failures
        self.maxRetries = maxRetries
        self.lostSupervisors = lostSupervisors
        self.metricName = metricName
        self.trialTimeout = trialTimeout
        self.logTail = logTail
        self.supervisorStarted = supervisorStarted
    }
}

extension TrialLifecycle {
    /// Supervisors lost in a row (the command never gets going) after which the attempt counts as failed.
    public static let lostSupervisorLimit = 3

    /// How an ended attempt is judged, in this order: early termination's decision wins (ended
    /// after stop, or after pause when the stop is a pause) unless the attempt got to its end (exit 0, a complete finite result); a
    /// time-out is a failure with reason `timeout`; a population member's own exit 3 at or past
    /// the end of its generation reached that end; exit 0 with the metric — or, without a
    /// recorded end, a complete result in its output — reached its end; a supervisor lost for the
    /// `lostSupervisorLimit`-th time in a row is a failure; a supervisor that never started is
    /// that (not counted); a lost supervisor, an explicit stop or a checkpointed exit (3) is
    /// interrupted; a diverged training fails at once; anything else is a failure. A failure is retried while `max_retries` allows (attempt failed), else the
    /// retry budget is spent.
    public static func judge(_ end: AttemptEnd) -> TrialEvent {
        let outcome = end.outcome
        let status = end.record?.status
        let reachedItsEnd = status == 0 && outcome.complete && outcome.metric != nil
        // A pause holds only with a checkpoint at or after its rung: without one, the attempt is
        // judged as if no pause had been decided (the next attempt reaches the rung again).
        if end.stopRequested && !reachedItsEnd && (!end.pauseRequested || end.pauseHeld) {
            let metric = end.lastReported ?? outcome.metric
            return end.pauseRequested ? .endedAfterPause(metric: metric, metrics: outcome.metrics)
                : .endedAfterStop(metric: metric, metrics: outcome.metrics)
        }
        if end.record?.ended == .timeout {
            let limit = end.trialTimeout.map { SweepConsole.format($0) } ?? "?"
            return failure(end, reason: "timeout", message: "stopped after the trial_timeout of \(limit) s")
        }
        // A population member that stopped by itself (a training job's checkpointed exit 3, a
        // program's exit 0; no signal) where its generation ends, having saved its state. One that
        // went past it (a copy of it would not be the generation's end) failed.
        if let stop = end.generationEnd, status == 3 || status == 0, end.record?.ended == .exited, let last = end.lastProgress, last >= stop {
            guard last == stop else {
                return failure(end, reason: nil, message: "it trained past its generation's end (\(stop)) to \(last)")
            }
            guard end.generationSaved else {
                return failure(end, reason: nil, message: "the program ended its generation without saving anything in RINGTRAIN_SAVE_DIR")
            }
            return .generationEnded(metric: end.lastReported, metrics: outcome.metrics)
        }
        if let metric = outcome.metric, status == 0 || (status == nil && outcome.complete) {
            return .reachedEnd(metric: metric, metrics: outcome.metrics)
        }
        if end.record == nil {
            guard end.supervisorStarted else { return .supervisorNeverStarted }
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
}
