// SweepRecovery: how a trial attempt's end is concluded (judged and applied through
// TrialLifecycle), and what survives a crash — a coordinator adopts the trials an earlier one
// left running, judges the ones that ended meanwhile, and an explicit stop (Ctrl-C, SIGTERM)
// interrupts trials without counting them as failed.
import Foundation
import Worker

extension SweepRunner {
    /// Concludes the attempt of an active trial whose supervisor is gone: reads what it
    /// reported and records the outcome. Processes of the trial left without their supervisor
    /// are first asked to stop (SIGTERM: a training trial saves a checkpoint) and the trial stays
    /// active meanwhile, so other trials are followed as usual; after the grace period (timed on
    /// the monotonic clock; its end also recorded in the store, so a restarted coordinator
    /// keeps it, see `adoptDrain`) they are killed. Called again on every poll until the
    /// attempt is concluded.
    func endAttempt(_ id: Int) throws {
        guard var trial = active[id] else { return }
        try readEpochs(id)
        let record = TrialExec.recordedEnd(in: trialDirectory(id), attempt: trial.attempt)
        for process in record?.leftovers ?? [] {
            console.log(.warning, "[trial \(id)] a process outlived SIGKILL and was left behind: \(process)")
        }
        let leftovers = record == nil ? TrialExec.processes(tagged: tag(id)) : []
        if !leftovers.isEmpty {
            guard let deadline = trial.drainDeadline else {
                console.log(.warning, "[trial \(id)] its supervisor is gone; stopping \(leftovers.count) process(es) it left")
                // SIGTERM first: a deadline in the store always means the processes were asked to stop.
                for pid in leftovers { TrialExec.sendSignal(SIGTERM, to: pid, tagged: tag(id)) }
                let grace = config.cluster.stopGracePeriod
                try transition(id, from: .running, .leftoversStopping(deadline: Date().timeIntervalSince1970 + grace))
                trial.drainDeadline = TrialExec.monotonicSeconds() + grace
                active[id] = trial
                return
            }
            guard TrialExec.monotonicSeconds() >= deadline else { return }
            for pid in leftovers { TrialExec.sendSignal(SIGKILL, to: pid, tagged: tag(id)) }
        }
        active[id] = nil
        try conclude(id, attempt: trial.attempt, record: record)
    }

    /// The least time, in seconds, left to processes a lost supervisor left between the SIGTERM a
    /// restarted coordinator sends them again and their SIGKILL.
    static let drainMargin = 5.0

    /// The seconds left until the processes a lost supervisor left are killed, for a coordinator
    /// adopting a drain recorded to end at `stored` (seconds since 1970) when the wall clock says
    /// `now`: what is left of it, at least `drainMargin` (they were just asked to stop again) and
    /// at most `grace` (a wall clock set back does not make them wait longer than a stop would).
    static func adoptedDrainSeconds(stored: Double, now: Double, grace: Double) -> Double {
        min(max(stored - now, min(drainMargin, grace)), grace)
    }

    /// Adopts the drain an earlier coordinator began for trial `id` (its supervisor gone, its
    /// leftovers asked to stop until `stored`): the leftovers are asked to stop again (the
    /// earlier coordinator may have died before its SIGTERM went), and killed after
    /// `adoptedDrainSeconds`, on the monotonic clock. Without leftovers, nothing is left to drain.
    func adoptDrain(_ id: Int, stored: Double) {
        let leftovers = TrialExec.processes(tagged: tag(id))
        guard !leftovers.isEmpty else { return }
        console.log(.warning, "[trial \(id)] its supervisor is gone; stopping \(leftovers.count) process(es) it left (again)")
        for pid in leftovers { TrialExec.sendSignal(SIGTERM, to: pid, tagged: tag(id)) }
        let seconds = Self.adoptedDrainSeconds(stored: stored, now: Date().timeIntervalSince1970, grace: config.cluster.stopGracePeriod)
        active[id]?.drainDeadline = TrialExec.monotonicSeconds() + seconds
    }

    /// Records how an attempt ended: its facts (the supervisor's record, what the attempt's files
    /// say, the stored trial) judged by `TrialLifecycle.judge` into one event, applied from running.
    func conclude(_ id: Int, attempt: Int, record: TrialExitRecord?) throws {
        guard let trial = try store.trials().first(where: { $0.id == id }) else { return }
        let directory = trialDirectory(id)
        let outcome = spec.program != nil
            ? TrialOutcome.program(output: TrialOutcome.attemptOutput(of: directory + "/output.log", attempt: attempt),
                                   metricName: spec.metric.name)
            : TrialOutcome.training(directory: directory, metricName: spec.metric.name)
        defer { CrashPoint.pass("coordinator", "trial-concluded") }
        let generationEnd = try spec.population == nil ? nil : memberGenerationEnd(id)
        let last = try trial.stopRequested || generationEnd != nil ? lastReported(id, pausedAt: trial.pauseRung) : nil
        // No pid, no marker, no recorded end: the supervisor never started (the coordinator died,
        // or could not start it, right after marking the trial running); not a lost supervisor.
        let started = trial.pid != nil || record != nil || TrialExec.attemptBegan(log: directory + "/output.log", attempt: attempt)
        var end = AttemptEnd(
            record: record, outcome: outcome, stopRequested: trial.stopRequested,
            lastReported: last, failures: trial.failures, maxRetries: spec.maxRetries,
            lostSupervisors: trial.lostSupervisors, metricName: spec.metric.name, trialTimeout: spec.trialTimeout,
            logTail: TrialOutcome.tail(of: directory + "/output.log"), supervisorStarted: started,
            pauseRequested: trial.pauseRung != nil, generationEnd: generationEnd, lastProgress: try store.lastEpoch(id))
        if generationEnd != nil && spec.program != nil { end.generationSaved = try programMemberSaved(id) }
        if let rung = trial.pauseRung { end.pauseHeld = checkpointStands(id, atOrAfter: rung) }
        let event = TrialLifecycle.judge(end)
        guard try transition(id, from: .running, event) else { return }
        switch event {
        case .reachedEnd(let metric, _):
            console.line("[trial \(id)] finished: \(spec.metric.name) \(SweepConsole.format(metric))")
        case .generationEnded(let metric, _):
            console.line("[trial \(id)] generation done: \(spec.metric.name) \(metric.map(SweepConsole.format) ?? "none"); waiting for the population")
        case .endedAfterPause:
            console.line("[trial \(id)] paused with its checkpoint; promoted if later trials put it among the best at its rung")
        case .interrupted where config.cluster.launcher == .slurm && spec.program == nil && StopRequest.pendingSignal == nil:
            console.line("[trial \(id)] interrupted by a signal to the job's steps (Slurm stopping the job?): the sweep stops "
                         + "with checkpoints; it continues when resumed")
            stoppedFromOutside = true
        case .interrupted, .supervisorLost, .supervisorNeverStarted:
            console.line("[trial \(id)] interrupted; it continues when the sweep does")
        case .attemptFailed(let failure):
            console.log(.warning, "[trial \(id)] failed (\(failure.message)); retrying (\(trial.failures + 1) of \(spec.maxRetries))")
        case .retryBudgetSpent(let failure):
            console.log(.warning, "[trial \(id)] failed (\(failure.message)); giving up after \(trial.failures + 1) failed attempt(s)")
        case .diverged:
            console.log(.warning, "[trial \(id)] failed: diverged (not retried)")
        default:
            break
        }
    }

    /// The sweep metric of the last epoch trial `id` reported, if any; of the rung it paused at
    /// when `pausedAt` (a pause takes hold a little after its rung, so more epochs may follow).
    private func lastReported(_ id: Int, pausedAt: Int? = nil) throws -> Double? {
        Self.stoppedMetric(try store.epochMetrics()[id] ?? [:], metric: spec.metric.name, pausedAt: pausedAt)
    }

    /// True when training trial `id`'s newest checkpoint verifies (its state, against its checksum)
    /// and stands at or after epoch (or evaluation) `rung`.
    func checkpointStands(_ id: Int, atOrAfter rung: Int) -> Bool {
        let store = CheckpointStore(directory: trialDirectory(id) + "/checkpoints")
        guard let name = store.latest(), let state = try? store.state(of: name) else { return false }
        return place(of: state, against: rung) != .orderedAscending
    }

    /// The metric a trial stopped early keeps, from its reported `epochs`: the last one's, or
    /// the one of the rung it paused at.
    static func stoppedMetric(_ epochs: [Int: [String: Double]], metric: String, pausedAt: Int?) -> Double? {
        if let pausedAt { return epochs[pausedAt]?[metric] }
        return epochs.max { $0.key < $1.key }?.value[metric]
    }

    /// Applies `event` to trial `id`, expected in `status`, through the store. A trial no longer
    /// in `status` moved on: nothing changes, it is logged, and the result is false. A transition
    /// the lifecycle does not allow is a `TrialTransitionError` (thrown: the sweep stops rather
    /// than leave a trial running unwatched).
    @discardableResult
    func transition(_ id: Int, from status: TrialStatus, _ event: TrialEvent) throws -> Bool {
        if let applied = try store.apply(event, to: id, from: status) {
            if applied.to.isFinal, let trial = try store.trials().first(where: { $0.id == id }) {
                SweepTensorBoard.trialEnded(trial, spec: spec, folder: trialDirectory(id), step: try store.lastEpoch(id) ?? 0)
            }
            return true
        }
        let stored = try store.trials().first(where: { $0.id == id })
        let actual = stored.map { "it is \($0.status.rawValue)" } ?? "it is not in the store"
        console.log(.warning, "[trial \(id)] '\(event.name)' not applied: expected the trial \(status.rawValue), but \(actual); nothing changed")
        return false
    }

    /// The hosts a running trial holds, from its folder; a file that cannot be read is named in a
    /// warning and its slots are not counted (the trial itself goes on).
    private func recordedPlacement(_ id: Int) -> TrialPlacement? {
        do { return try TrialPlacement.recorded(in: trialDirectory(id)) } catch {
            console.log(.warning, "[trial \(id)] \(error): the hosts it runs on are not counted while it runs")
            return nil
        }
    }

    /// On start: every trial recorded as running either ended meanwhile (judged now), or still
    /// runs under its supervisor (adopted: waited for, never stopped), or lost its supervisor
    /// (its leftover processes are stopped and it is judged by what it left).
    func reconcile() throws {
        for trial in try store.trials() where trial.status == .running {
            let attempt = max(1, trial.attempts)
            active[trial.id] = ActiveTrial(attempt: attempt, process: nil, follower: follower(trial.id, attempt: attempt),
                                           stopRequested: trial.stopRequested, placement: recordedPlacement(trial.id))
            if TrialExec.recordedEnd(in: trialDirectory(trial.id), attempt: attempt) == nil,
               TrialExec.supervisor(tagged: tag(trial.id)) != nil {
                // A drain deadline beside a live supervisor is stale (an earlier binary never
                // cleared it): the attempt is followed, never drained.
                console.log(.notice, "[trial \(trial.id)] still running from an earlier coordinator; following it")
                if trial.stopRequested { signalSupervisor(trial.id, SIGTERM) }
                continue
            }
            if let stored = trial.drainDeadline, TrialExec.recordedEnd(in: trialDirectory(trial.id), attempt: attempt) == nil {
                adoptDrain(trial.id, stored: stored)
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
            // Still running after the grace period: stopped (or paused) when early termination
            // said so, else interrupted.
            var event = TrialEvent.interrupted
            if trial.stopRequested {
                if let rung = try store.trials().first(where: { $0.id == id })?.pauseRung {
                    // Without a checkpoint at or after its rung the pause does not hold: interrupted.
                    if checkpointStands(id, atOrAfter: rung) { event = .endedAfterPause(metric: try lastReported(id, pausedAt: rung), metrics: [:]) }
                } else {
                    event = .endedAfterStop(metric: try lastReported(id), metrics: [:])
                }
            }
            try transition(id, from: .running, event)
        }
        active = [:]
    }
}
