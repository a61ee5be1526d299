// TrainingLauncher: runs a checked training config — its one rank in this process, or its ranks
// under mpirun/srun (restarting them as cluster.restarts allows) — holding the run folder meanwhile,
// and returns the command's exit status.
import Foundation
import Logging
import Model
import Worker

/// How `ringtrain train` / `ringtrain resume` run a job.
public struct TrainingLaunch {
    public var config: RunConfig
    /// What the ranks are told: config path and overrides, run folder (required), flags.
    public var options: RankOptions

    public init(config: RunConfig, options: RankOptions) {
        precondition(options.runDirectory != nil, "a launched run has a run folder")
        (self.config, self.options) = (config, options)
    }

    /// What a launch of `config`'s job reads of this machine, checked before anything starts (a
    /// `ConfigError` each): under mpirun with more than one rank, a hostfile that can be read and
    /// lists hosts, and, with no hosts listed, no more ranks than the slots mpirun counts here.
    public static func checkBeforeLaunch(_ config: RunConfig) throws {
        guard config.job.ranks > 1, config.cluster.launcher == .mpirun else { return }
        try RankPlacement.checkHostfile(config.cluster, file: config.file.path)
        if let problem = LocalSlots.problem(ranks: config.job.ranks, cluster: config.cluster, file: config.file.path) { throw problem }
    }

    /// Exit status: 0 done, 3 interrupted after a checkpoint, 1 failed, 2 bad input.
    public func run() throws -> Int32 {
        let job = config.job, resume = options.resume
        let runDirectory = options.runDirectory!
        let absoluteConfig = URL(fileURLWithPath: options.configPath).standardizedFileURL.path
        try Self.checkBeforeLaunch(config)
        if job.ranks > 1 && config.cluster.preflight && config.cluster.launcher == .mpirun {
            try HostPreflight.check(config.cluster, binary: MPILauncher.selfExecutable, files: [absoluteConfig])
        }
        if resume && !FileManager.default.fileExists(atPath: runDirectory + "/checkpoints") {
            if MetricsFile(runDirectory: runDirectory).hasFinalLine() {
                throw TrainingError("nothing to resume: the run in \(runDirectory) finished (it kept no checkpoint)")
            }
            throw TrainingError("nothing to resume: \(runDirectory)/checkpoints does not exist (give the run folder of an earlier run with --run-dir)")
        }
        // One owner per run folder: this process holds the lock for the whole run (its ranks
        // do not take it again), and the folder must be a run's own (see `RunFolder.claim`).
        try RunFolder.claim(runDirectory, resume: resume)
        let lock = try FolderLock(folder: runDirectory, purpose: resume ? "resume" : "train")
        defer { lock.release() }
        try RunFolder.claim(runDirectory, resume: resume)   // again, now that no one else writes
        if !resume {
            try RunFolder.checkEarlierJob(runDirectory, job: job)
            // A new run in a folder with no checkpoint: an earlier attempt's restarts and step are not its own.
            for name in [RestartLog.fileName, Heartbeat.fileName] { try? FileManager.default.removeItem(atPath: runDirectory + "/" + name) }
        }
        // A resumed run rewrites its config files only once its checkpoint has loaded.
        let folder = resume ? RunFolder(path: runDirectory) : try RunFolder.create(at: runDirectory, config: config)
        // With --json standard output holds only JSON lines, so the folder is named on standard error.
        if options.json { Log.logger.info("run folder: \(folder.path)") } else { FileHandle.standardOutput.writeText("run folder: \(folder.path)\n") }
        var ranks = options
        ranks.launched = true   // this process owns the folder; under mpirun rank 0 ends when it is gone
        // One rank runs in this process; under Slurm it too is a job step, placed by the allocation.
        if job.ranks == 1 && options.traceSteps == nil && config.cluster.launcher == .mpirun {
            return try RankLife.run(ranks, setup: RunConfigSetup(config: config), world: .singleRank)
        }
        ranks.configPath = absoluteConfig
        ranks.runDirectory = URL(fileURLWithPath: folder.path).standardizedFileURL.path
        return try SelfHealingRun(config: config, options: ranks).run()
    }
}
