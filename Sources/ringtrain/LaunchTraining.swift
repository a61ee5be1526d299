// LaunchTraining: how every command that trains a job starts it — one launch from the checked
// config and the ranks' options, its exit status passed on.
import ArgumentParser
import Coordinator
import Worker

/// Runs `config`'s job as `options` say; a status other than 0 ends the command with it.
func launchTraining(_ config: RunConfig, _ options: RankOptions) throws {
    let status = try TrainingLaunch(config: config, options: options).run()
    if status != 0 { throw ExitCode(status) }
}
