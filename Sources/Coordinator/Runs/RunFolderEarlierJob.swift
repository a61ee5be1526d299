// RunFolderEarlierJob: a run folder whose earlier run stopped before its first checkpoint is taken
// again only by the same job; another job is refused, so two jobs never share metrics.jsonl.
import Foundation
import Worker

extension RunFolder {
    /// Before a new (not resumed) run writes into `path`: when the folder already holds an earlier
    /// run's `resolved.yaml` (that run stopped before its first checkpoint, else `claim` refused
    /// the folder), `job` must be the same job (its ranks aside); a run of a different config would
    /// append its lines to the earlier run's metrics.jsonl.
    /// - Throws: `ConfigError` naming the folder and how to go on.
    public static func checkEarlierJob(_ path: String, job: TrainingJob) throws {
        let resolved = path + "/resolved.yaml"
        guard FileManager.default.fileExists(atPath: resolved) else { return }
        func comparable(_ job: TrainingJob) -> String {
            var job = job
            job.ranks = 1
            return ResolvedConfig.hash(job: job)
        }
        let earlier = try? RunConfig.load(path: resolved, dataFiles: .skipped).job
        guard let earlier, comparable(earlier) == comparable(job) else {
            throw ConfigError(file: path, keyPath: "--run-dir",
                              message: "holds an earlier run of a different config that stopped before its first checkpoint"
                                + " (its resolved.yaml and metrics.jsonl)",
                              hint: "give a new --run-dir, or delete \(path) to start over there; the earlier config starts again in it")
        }
    }
}
