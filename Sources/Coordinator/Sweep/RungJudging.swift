// RungJudging: a running trial's reported epochs (or evaluations) stored, and each one the
// attempt reports judged once at its rung by early termination, a retried attempt's repeats too.
import Foundation
import Worker

extension SweepRunner {
    /// Reads what trial `id` reported since the last look: every progress line is stored; a
    /// line this attempt reports for the first time is judged at its rung once it carries the
    /// sweep's metric or a later epoch arrives (an epoch read again — an adopted trial's file from
    /// its start, or lines a resumed attempt kept from earlier attempts — is stored, not judged
    /// again, except an adopted trial's last stored one). A rung whose metric is missing or
    /// non-finite counts as the worst value (see `SweepStore.observations`).
    func readEpochs(_ id: Int) throws {
        guard let follower = active[id]?.follower else { return }
        // An adopted attempt: the epochs stored before are judged, but the last one perhaps not
        // (a coordinator may have died between storing and deciding), so it is judged again.
        if active[id]?.judgedThrough == nil { active[id]?.judgedThrough = max(0, (try store.lastEpoch(id) ?? 0) - 1) }
        for line in follower.newLines() {
            // The rung of a line: its epoch, or a steps-budget job's evaluation index.
            guard let fields = numericFields(ofJSONLine: line), let epoch = TrialOutcome.progressIndex(of: fields),
                  epoch >= 0, epoch < 1e9, epoch == epoch.rounded() else { continue }
            let isNew = isThisAttempts(id, epoch: Int(epoch), step: fields["step"])
            try store.recordEpoch(id, epoch: Int(epoch), metrics: fields)
            CrashPoint.pass("coordinator", "epoch-recorded")
            // An earlier epoch left without the metric is complete once a later one reports.
            if let pending = active[id]?.pendingRung, pending < Int(epoch) { try judge(id, epoch: pending) }
            guard isNew else { continue }
            // A line without the metric may be followed by one of the same epoch that has it
            // (null and non-finite values count as given).
            guard fields[spec.metric.name] != nil || line.contains("\"\(spec.metric.name)\"") else {
                active[id]?.pendingRung = Int(epoch)
                continue
            }
            if let value = fields[spec.metric.name] {
                console.line("[trial \(id)] \(Self.rungName(Int(epoch), fields)): \(spec.metric.name) \(SweepConsole.format(value))")
            }
            try judge(id, epoch: Int(epoch), fields: fields)
        }
    }

    /// Judges trial `id` at `epoch` once (its stored value; missing or non-finite is the worst):
    /// when early termination says so, the stop (or, with `pause: true`, the pause at this rung)
    /// is recorded, then the supervisor asked.
    private func judge(_ id: Int, epoch: Int, fields: [String: Double]? = nil) throws {
        guard let trial = active[id], epoch > (trial.judgedThrough ?? 0) else { return }
        active[id]?.judgedThrough = epoch
        promotionDue = true   // a new value at a rung can lift a paused trial there
        if trial.pendingRung.map({ $0 <= epoch }) == true { active[id]?.pendingRung = nil }
        guard let policy = earlyStop, !trial.stopRequested, try !isLastReport(id, epoch: epoch),
              policy.shouldStop(trial: id, epoch: epoch, history: try observations(), goal: spec.metric.goal) else { return }
        let pausing = spec.earlyTerminate?.pause == true
        guard try transition(id, from: .running, pausing ? .pauseDecided(rung: epoch) : .stopDecided) else { return }
        CrashPoint.pass("coordinator", pausing ? "pause-decided" : "stop-decided")
        active[id]?.stopRequested = true
        signalSupervisor(id, SIGTERM)
        let value = fields?[spec.metric.name].map { $0.isFinite ? "" : ", \(spec.metric.name) not finite" }
            ?? ", no \(spec.metric.name) reported"
        console.line("[trial \(id)] \(pausing ? "pausing" : "stopping early") after \(Self.rungName(epoch, fields ?? [:])) (successive halving\(value))")
    }

    /// `epoch N`, or for a steps-budget job's line `evaluation N (step S)`.
    static func rungName(_ epoch: Int, _ fields: [String: Double]) -> String {
        guard fields["epoch"] == nil, !fields.isEmpty else { return "epoch \(epoch)" }
        return "evaluation \(epoch)" + (fields["step"].map { " (step \(Int(exactly: $0).map(String.init) ?? String($0)))" } ?? "")
    }

    /// How an attempt this coordinator launches is followed: its lines are those written after
    /// `follower` (default: one made now by `follower(_:attempt:launched:)`, which `launch` makes
    /// before the attempt starts) was made, and the whole file again when its resume rewrites
    /// it, each judged once; lines up to `resumedAtStep` (its checkpoint, if any) are earlier attempts'.
    func launched(_ id: Int, attempt: Int, process: ChildProcess?, follower: LineFollower? = nil, resumedAtStep: Int?) -> ActiveTrial {
        ActiveTrial(attempt: attempt, process: process, follower: follower ?? self.follower(id, attempt: attempt, launched: true),
                    stopRequested: false, judgedThrough: 0, resumedAtStep: resumedAtStep)
    }

    /// True when a line of trial `id` at `epoch` (with its global `step`, when it has one) is
    /// the current attempt's first report of that epoch: past what the attempt judged already,
    /// and not a line kept from before the checkpoint the attempt resumed from.
    func isThisAttempts(_ id: Int, epoch: Int, step: Double?) -> Bool {
        guard let trial = active[id] else { return false }
        if let resumed = trial.resumedAtStep, (step ?? 0) <= Double(resumed) { return false }
        return epoch > (trial.judgedThrough ?? 0)
    }

    /// True when `epoch` is at or past trial `id`'s own last epoch (or evaluation): stopping it
    /// there would only relabel it. The budget is the trial's own (a sweep may vary `job.epochs`
    /// or `job.steps`); program trials have none.
    func isLastReport(_ id: Int, epoch: Int) throws -> Bool {
        guard spec.program == nil, config.hasJob else { return false }
        if let last = lastReports[id] { return epoch >= last }
        guard let trial = try store.trials().first(where: { $0.id == id }),
              let trialConfig = try? spec.trialConfig(base: config, configuration: spec.space.normalized(trial.configuration)) else {
            return false
        }
        lastReports[id] = trialConfig.job.progressReports
        return epoch >= trialConfig.job.progressReports
    }

    /// Where a checkpoint's `state` stands against the end of epoch (or, with `job.steps`,
    /// evaluation) `index` of the sweep's job: before it, exactly at it, or past it.
    func place(of state: CheckpointState, against index: Int) -> ComparisonResult {
        if let steps = config.job.steps {
            let end = min(steps, index * (config.job.evalEvery ?? steps))
            return state.globalStep < end ? .orderedAscending : state.globalStep == end ? .orderedSame : .orderedDescending
        }
        if state.epoch < index { return .orderedAscending }
        return state.epoch == index && state.stepInEpoch == 0 ? .orderedSame : .orderedDescending
    }

    /// The global step of the checkpoint `checkpoints/latest` names in a trial folder
    /// (`step-00001200` → 1200), nil when there is none or it is not of that form.
    static func checkpointStep(_ directory: String) -> Int? {
        guard let name = try? String(contentsOfFile: directory + "/checkpoints/" + CheckpointStore.latestFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), name.hasPrefix("step-") else { return nil }
        return Int(name.dropFirst(5))
    }
}
