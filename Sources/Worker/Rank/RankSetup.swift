// RankSetup: what a rank's life asks of the config side (which reads YAML and owns run folders):
// rank 0's resolved job in its canonical encoded form, decoding it on the other ranks, and the
// run folder's claim and config files.
import Collective
import Foundation
import Model

/// The config side of a rank's life; `RankLife` calls it, the coordinator implements it.
public protocol RankSetup {
    /// Rank 0: reads and checks the config. Throws a `UsageError` for a bad config.
    func load() throws -> AgreedJob
    /// Any rank but 0: the job from rank 0's `AgreedJob.encodedJob` (no YAML is read).
    func decodeJob(_ encoded: String) throws -> TrainingJob
    /// The config hash checkpoints record for `job`.
    func hash(job: TrainingJob) -> String
    /// Checks that `directory` may be used by this run (before and again after its lock is held).
    func claim(_ directory: String, resume: Bool) throws
    /// Refuses a new run in a folder that holds another job's files.
    func checkEarlierJob(_ directory: String, job: TrainingJob) throws
    /// Writes the run folder's config files for `running` (the job as the ranks run it).
    func writeConfigFiles(_ directory: String, running: TrainingJob) throws
    /// Rank 0: whether `directory` already holds the run's config files.
    func hasConfigFiles(_ directory: String) -> Bool
    /// The `--trace-steps` loop.
    func trace(job: TrainingJob, group: Collectives, steps: Int, options: RankOptions) throws
}
