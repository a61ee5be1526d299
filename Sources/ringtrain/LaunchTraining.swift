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
    let status = try TrainingLaunch(config: config, options: options).run()
    let after = checkpoints.newestStep()
    try slurm.finish(status, progressed: after.map { step in before.map { step > $0 } ?? true } ?? false)
}
