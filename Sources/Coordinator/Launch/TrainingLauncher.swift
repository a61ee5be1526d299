// TrainingLauncher: runs a checked training config — in this process for one rank, or under
// mpirun for several — and turns the result into the command's exit status.
import Foundation
import Logging
import Model
import Worker

/// How `ringtrain train` / `ringtrain resume` run a job.
public struct TrainingLaunch {
    public var config: RunConfig
    /// The config file's path (passed to the ranks, which read it themselves).
    public var configPath: String
    /// `--set` overrides, passed to the ranks too.
    public var overrides: [String] = []
    public var runDirectory: String
    public var json = false
    /// Continue from the newest valid checkpoint in the run folder.
    public var resume = false
    /// On resume, start from zero optimizer state when the checkpoint's optimizer tensors do not
    /// match the configured optimizer (default false: refuse).
    public var resetOptimizer = false
    /// Hidden test flags forwarded to the ranks.
    public var traceSteps: Int?
    public var dumpParameters: String?

    public init(config: RunConfig, configPath: String, runDirectory: String) {
        self.config = config
        self.configPath = configPath
        self.runDirectory = runDirectory
    }

    /// Exit status: 0 done, 3 interrupted after a checkpoint, 1 failed, 2 bad input.
    public func run() throws -> Int32 {
        let job = config.job
        let absoluteConfig = URL(fileURLWithPath: configPath).standardizedFileURL.path
        if job.ranks > 1 && config.cluster.preflight && config.cluster.launcher == .mpirun {
            try HostPreflight.check(config.cluster, binary: MPILauncher.selfExecutable, files: [absoluteConfig])
        }
        if resume && !FileManager.default.fileExists(atPath: runDirectory + "/checkpoints") {
            throw TrainingError("nothing to resume: \(runDirectory)/checkpoints does not exist (give the run folder of an earlier run with --run-dir)")
        }
        // One owner per run folder: this process holds the lock for the whole run (its ranks
        // do not take it again), and the folder must be a run's own (see `RunFolder.claim`).
        try RunFolder.claim(runDirectory, resume: resume)
        let lock = try FolderLock(folder: runDirectory, purpose: resume ? "resume" : "train")
        defer { lock.release() }
        try RunFolder.claim(runDirectory, resume: resume)   // again, now that no one else writes
        if !resume { try RunFolder.checkEarlierJob(runDirectory, job: job) }
        // A resumed run rewrites its config files only once its checkpoint has loaded.
        let folder = resume ? RunFolder(path: runDirectory) : try RunFolder.create(at: runDirectory, config: config)
        // With --json standard output holds only JSON lines, so the folder is named on standard error.
        if json { Log.logger.info("run folder: \(folder.path)") } else { FileHandle.standardOutput.write(Data("run folder: \(folder.path)\n".utf8)) }
        if job.ranks == 1 && traceSteps == nil {
            if let note = BLASKernelSelection.currentNote { Log.logger.notice("\(note)") }
            StopRequest.installSignalHandlers()
            _ = HostMemory.atStart   // read before the data loads
            let session = TrainingSession(job: job, collectives: .singleRank(), runDirectory: folder.path, json: json)
            session.checkpoints = CheckpointSettings(directory: folder.path + "/checkpoints",
                                                     configHash: ResolvedConfig.hash(job: job), resume: resume,
                                                     resetOptimizer: resetOptimizer)
            session.afterResume = { _ = try RunFolder.create(at: folder.path, config: config) }
            switch try session.run() {
            case .completed, .alreadyFinished: return 0
            case .interrupted: return 3
            }
        }
        var arguments = ["worker", absoluteConfig, "--run-dir", URL(fileURLWithPath: folder.path).standardizedFileURL.path]
        for o in overrides { arguments += ["--set", o] }
        if json { arguments.append("--json") }
        if resume { arguments.append("--resume") }
        if resetOptimizer { arguments.append("--reset-optimizer") }
        arguments.append("--launched")   // rank 0: this process owns the folder; end when it is gone
        if let traceSteps { arguments += ["--trace-steps", "\(traceSteps)"] }
        if let dumpParameters { arguments += ["--dump-parameters", dumpParameters] }
        let command = config.cluster.launcher == .slurm
            ? try SlurmLauncher.command(cluster: config.cluster, ranks: job.ranks, program: MPILauncher.selfExecutable,
                                        arguments: arguments)
            : MPILauncher.command(cluster: config.cluster, ranks: job.ranks, program: MPILauncher.selfExecutable,
                                  arguments: arguments)
        let status = try MPILauncher.run(command, watchedByRankZero: true)
        switch status {
        case 0, 2, 3: return status
        default:
            Log.logger.error("the \(job.ranks)-rank job failed (mpirun exit status \(status)); see the rank messages above")
            return 1
        }
    }
}
