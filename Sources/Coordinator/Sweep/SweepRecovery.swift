// SweepRecovery: how a trial attempt's end is judged, and what survives a crash — a coordinator
// adopts the trials an earlier one left running, judges the ones that ended meanwhile, and an
// explicit stop (Ctrl-C, SIGTERM) interrupts trials without counting them as failed.
import Foundation
import Worker

extension SweepRunner {
    /// Concludes the attempt of an active trial whose supervisor is gone: reads what it
    /// reported and records the outcome. Processes of the trial left without their supervisor
    /// are first asked to stop (SIGTERM: a training trial saves a checkpoint) and the trial stays
    /// active meanwhile, so other trials are followed as usual; after the grace period they are
    /// killed. Called again on every poll until the attempt is concluded.
    func endAttempt(_ id: Int) throws {
        guard var trial = active[id] else { return }
        try readEpochs(id)
        let record = TrialExec.recordedEnd(in: trialDirectory(id), attempt: trial.attempt)
        for process in record?.leftovers ?? [] {
            console.log(.warning, "[trial \(id)] a process outlived SIGKILL and was left behind: \(process)")
        }
        let leftovers = record == nil ? TrialExec.processes(tagged: tag(id)) : []
        if !leftovers.isEmpty {
            let now = TrialExec.monotonicSeconds()
            guard let deadline = trial.drainDeadline else {
                console.log(.warning, "[trial \(id)] its supervisor is gone; stopping \(leftovers.count) process(es) it left")
                for pid in leftovers { TrialExec.sendSignal(SIGTERM, to: pid, tagged: tag(id)) }
                trial.drainDeadline = now + config.cluster.stopGracePeriod
                active[id] = trial
                return
            }
            guard now >= deadline else { return }
            for pid in leftovers { TrialExec.sendSignal(SIGKILL, to: pid, tagged: tag(id)) }
        }
        active[id] = nil
        try conclude(id, attempt: trial.attempt, record: record)
    }

    /// Records how an attempt ended. Early termination's decision wins (stopped); a time-out is
    /// a failure with reason `timeout`; exit 0 with the metric is finished; an explicit stop, a
    /// training trial's checkpointed exit (3) or a lost supervisor puts the trial back as
    /// interrupted (not a failure); anything else is a failure, retried up to `max_retries`.
    /// Without a recorded end (the supervisor died), a complete result in the attempt's output
    /// counts as finished, so a completed objective is never run again.
    func conclude(_ id: Int, attempt: Int, record: TrialExitRecord?) throws {
        guard let trial = try store.trials().first(where: { $0.id == id }) else { return }
        let directory = trialDirectory(id)
        let outcome = spec.program != nil
            ? TrialOutcome.program(output: TrialOutcome.attemptOutput(of: directory + "/output.log", attempt: attempt),
                                   metricName: spec.metric.name)
            : TrialOutcome.training(directory: directory, metricName: spec.metric.name)
        defer { CrashPoint.pass("coordinator", "trial-concluded") }
        if record != nil { lostSupervisors[id] = nil }
        // A trial that got to its end (exit 0, a final finite result) finished, whatever was
        // decided meanwhile; one stopped at a rung for a non-finite metric stays stopped.
        let reachedItsEnd = record?.status == 0 && outcome.complete && outcome.metric != nil
        if trial.stopRequested && !reachedItsEnd {
            let last = try store.epochMetrics()[id]?.max { $0.key < $1.key }?.value[spec.metric.name]
            try store.finish(id, status: .stopped, metric: last ?? outcome.metric, finalMetrics: outcome.metrics)
            return
        }
        if record?.ended == .timeout {
            let limit = spec.trialTimeout.map { SweepConsole.format($0) } ?? "?"
            try failed(trial, reason: "timeout", message: "stopped after the trial_timeout of \(limit) s")
            return
        }
        let status = record?.status
        if let metric = outcome.metric, status == 0 || (status == nil && outcome.complete) {
            try store.finish(id, status: .finished, metric: metric, finalMetrics: outcome.metrics)
            console.line("[trial \(id)] finished: \(spec.metric.name) \(SweepConsole.format(metric))")
            return
        }
        if record == nil {
            // A supervisor lost again and again (its command never gets going) is a failure.
            lostSupervisors[id, default: 0] += 1
            if lostSupervisors[id]! >= 3 {
                lostSupervisors[id] = nil
                try failed(trial, reason: nil, message: "its supervisor ended without recording how the command ended, 3 times in a row")
                return
            }
        }
        if record == nil || record?.ended == .stopped || status == 3 {
            try store.requeue(id, failed: false)
            console.line("[trial \(id)] interrupted; it continues when the sweep does")
            return
        }
        if outcome.diverged && status != 0 {
            // Divergence is not a lost rank: a retry would diverge again, so it fails at once.
            try store.fail(id, error: "diverged: its training loss or weights stopped being finite (see metrics.jsonl)", reason: "diverged")
            console.log(.warning, "[trial \(id)] failed: diverged (not retried)")
            return
        }
        let message = status == 0
            ? "the trial ended without a finite \(spec.metric.name) (found: \(outcome.metrics.keys.sorted().joined(separator: ", ")))"
            : "exit status \(status!)"
        try failed(trial, reason: nil, message: message)
    }

    private func failed(_ trial: TrialRecord, reason: String?, message: String) throws {
        let tail = TrialOutcome.tail(of: trialDirectory(trial.id) + "/output.log")
        let lastLine = tail.split(separator: "\n").last.map { ": " + $0 } ?? ""
        let error = message + lastLine + "\n" + tail
        if trial.failures < spec.maxRetries {
            try store.requeue(trial.id, failed: true, error: error, reason: reason)
            console.log(.warning, "[trial \(trial.id)] failed (\(message)); retrying (\(trial.failures + 1) of \(spec.maxRetries))")
        } else {
            try store.fail(trial.id, error: error, reason: reason)
            console.log(.warning, "[trial \(trial.id)] failed (\(message)); giving up after \(trial.failures + 1) failed attempt(s)")
        }
    }

    /// On start: every trial recorded as running either ended meanwhile (judged now), or still
    /// runs under its supervisor (adopted: waited for, never stopped), or lost its supervisor
    /// (its leftover processes are stopped and it is judged by what it left).
    func reconcile() throws {
        for trial in try store.trials() where trial.status == .running {
            let attempt = max(1, trial.attempts)
            active[trial.id] = ActiveTrial(attempt: attempt, process: nil, follower: follower(trial.id, attempt: attempt),
                                           stopRequested: trial.stopRequested)
            if TrialExec.recordedEnd(in: trialDirectory(trial.id), attempt: attempt) == nil,
               TrialExec.supervisor(tagged: tag(trial.id)) != nil {
                console.log(.notice, "[trial \(trial.id)] still running from an earlier coordinator; following it")
                if trial.stopRequested { signalSupervisor(trial.id, SIGTERM) }
                continue
            }
            try endAttempt(trial.id)
        }
    }

    /// Ctrl-C or SIGTERM: every running trial is asked to stop (a training trial saves a
    /// checkpoint); each is recorded as interrupted and resumes with the sweep. After the grace
    /// period, whatever still runs is killed.
    func shutdown() throws {
        console.log(.info, "sweep: stopping — \(active.count) running trial(s) stop (training trials save a checkpoint); "
                     + "continue with `ringtrain resume \(runDirectory)`")
        for id in active.keys { signalSupervisor(id, SIGTERM) }
        let deadline = TrialExec.monotonicSeconds() + config.cluster.stopGracePeriod + 15
        while !active.isEmpty && TrialExec.monotonicSeconds() < deadline {
            for (id, trial) in active {
                let ended = trial.process.map { $0.poll() != nil }
                    ?? (TrialExec.recordedEnd(in: trialDirectory(id), attempt: trial.attempt) != nil
                        || TrialExec.supervisor(tagged: tag(id)) == nil)
                if ended { try endAttempt(id) }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        for (id, trial) in active {
            for pid in TrialExec.processes(tagged: tag(id)) { TrialExec.sendSignal(SIGKILL, to: pid, tagged: tag(id)) }
            trial.process?.signalGroup(SIGKILL)
            _ = trial.process?.wait()
            if trial.stopRequested {
                let last = try store.epochMetrics()[id]?.max { $0.key < $1.key }?.value[spec.metric.name]
                try store.finish(id, status: .stopped, metric: last)
            } else {
                try store.requeue(id, failed: false)
            }
        }
        active = [:]
    }
}
