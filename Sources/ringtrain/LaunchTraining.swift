// LaunchTraining: how every command that trains a job starts it — one launch from the checked
// config and the ranks' options, its exit status passed on.
import ArgumentParser
import Coordinator
import Worker

/// Runs `config`'s job as `options` say; a status other than 0 ends the command with it (after
/// requeueing the Slurm job of a stopped run, when `slurm` asks for that).
func launchTraining(_ config: RunConfig, _ options: RankOptions, slurm: SlurmRequeueOption) throws {
    slurm.prepare()
    // A run that stopped without a checkpoint past the one it resumed from made no progress.
    let checkpoints = CheckpointStore(directory: (options.runDirectory ?? "") + "/checkpoints")
    let before = checkpoints.newestStep()
    let timeline = config.job.timeline ? options.runDirectory : nil
    let status: Int32
    do {
        status = try TrainingLaunch(config: config, options: options).run()
    } catch {
        if let timeline { mergeTimeline(timeline, json: options.json) }   // a run in this process fails by throwing
        throw error
    }
    // A run stopping to be requeued by Slurm may have seconds left: the next attempt's end merges.
    if let timeline, !(status == 3 && slurm.slurmRequeue) { mergeTimeline(timeline, json: options.json) }
    let after = checkpoints.newestStep()
    try slurm.finish(status, progressed: after.map { step in before.map { step > $0 } ?? true } ?? false)
}

/// Checks `--ranks` and `--stop-after` of `train` and `resume` against the ranges of the job keys
/// they set, so that the error names the option and not the key (job.ranks, job.stop_after).
func checkTrainingOptions(ranks: Int?, stopAfter: Int?) throws {
    let (r, s) = (JobParser.ranksRange, JobParser.stopAfterRange)
    if let ranks, !r.contains(ranks) {
        throw ValidationError("--ranks must be at least \(r.lowerBound) and at most \(r.upperBound) (got \(ranks))")
    }
    if let stopAfter, !s.contains(stopAfter) {
        throw ValidationError("--stop-after must be at least \(s.lowerBound) and at most \(s.upperBound) epochs (evaluations, with job.steps) (got \(stopAfter))")
    }
}

/// After a run that recorded a timeline, however it ended: the merged trace and its summary
/// (on standard error with `--json`, whose standard output is JSON lines). A timeline that cannot
/// be merged is a warning, never the run's failure.
private func mergeTimeline(_ runDirectory: String, json: Bool) {
    do {
        let (summary, path) = try TimelineMerge.run(runDirectory: runDirectory)
        let text = "timeline: \(path) (open in https://ui.perfetto.dev or chrome://tracing)\n" + summary.text
        if json { Log.logger.notice("\(text)") } else { print(text) }
    } catch {
        Log.logger.warning("the run's timeline was not merged: \(error); `ringtrain timeline \(runDirectory)` tries again")
    }
}
