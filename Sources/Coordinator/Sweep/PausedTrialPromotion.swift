// PausedTrialPromotion: successive halving that pauses (`early_terminate: {…, pause: true}`) —
// a paused trial is promoted, to resume from its checkpoint, once the trials at its rung put it
// among the best 1/eta there. Decided from the store alone, so a restarted coordinator decides alike.
import Foundation
import Worker

extension SweepRunner {
    /// Promotes every paused trial that the trials at the rung it paused at now put among the
    /// best 1/eta there (the rule that paused it, applied to what the rung holds now): it becomes
    /// pending and resumes from its checkpoint when a slot is free, before any new trial starts.
    func promotePaused() throws {
        promotionDue = false
        guard let policy = earlyStop, let halving = spec.earlyTerminate, halving.pause else { return }
        let paused = try store.trials().filter { $0.status == .paused }
        guard !paused.isEmpty else { return }
        let history = try observations()
        for trial in paused {
            guard let rung = trial.pauseRung, let value = history.first(where: { $0.id == trial.id })?.intermediate[rung],
                  Self.promotable(trial.id, pausedAt: rung, history: history, policy: policy, goal: spec.metric.goal) else { continue }
            guard try transition(trial.id, from: .paused, .promoted) else { continue }
            CrashPoint.pass("coordinator", "trial-promoted")
            let reached = history.filter { $0.intermediate[rung] != nil }.count
            let resumes = FileManager.default.fileExists(atPath: trialDirectory(trial.id) + "/checkpoints/" + CheckpointStore.latestFile)
                ? "it resumes from its checkpoint" : "its checkpoint is missing, so it trains again from the start"
            console.line("[trial \(trial.id)] promoted: its \(spec.metric.name) \(SweepConsole.format(value)) at the rung \(rung) is "
                         + "now among the best 1/\(halving.eta) of \(reached) trials there; \(resumes)")
        }
    }

    /// True when trial `id`, paused at rung `pausedAt`, would now go on at that rung and at every
    /// later rung it reported before the pause took hold (its values there were never judged).
    static func promotable(_ id: Int, pausedAt: Int, history: [TrialObservation], policy: any EarlyTerminationPolicy,
                           goal: MetricGoal) -> Bool {
        guard let me = history.first(where: { $0.id == id }), me.intermediate[pausedAt] != nil else { return false }
        return me.intermediate.keys.filter { $0 >= pausedAt }.allSatisfy { !policy.shouldStop(trial: id, epoch: $0, history: history, goal: goal) }
    }
}
