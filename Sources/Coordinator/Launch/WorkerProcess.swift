// WorkerProcess: what `ringtrain worker` does on every rank under mpirun — rank 0 reads and
// checks the config and broadcasts it, every rank trains, and a failing rank ends the job.
import Collective
import Foundation
import Logging
import Model
import Worker

/// Options of one worker launch (the same on every rank).
public struct WorkerOptions: Sendable {
    public var configPath: String
    public var overrides: [String] = []
    public var runDirectory: String?
    public var json = false
    /// Debug/test mode: run this many optimizer steps, printing per-step loss and a parameter
    /// checksum from every rank (which must agree), instead of whole epochs.
    public var traceSteps: Int?
    /// Write the final parameters (raw little-endian float32) here, from rank 0.
    public var dumpParameters: String?
    /// Debug/test mode: this rank throws at this global step (simulates a failing rank).
    public var failRank: Int?
    public var failStep: Int?
    public var failMode = TrainingSession.InjectedFailure.error
    /// Continue from the newest valid checkpoint in the run folder.
    public var resume = false
    /// On resume, start from zero optimizer state when the checkpoint's optimizer tensors do not
    /// match the configured optimizer (default false: refuse).
    public var resetOptimizer = false
    /// Started by `ringtrain train`/`resume`, which owns the run folder (holds its lock) and
    /// keeps rank 0's standard input open while it lives (default false: rank 0 takes the lock).
    public var launched = false

    public init(configPath: String) { self.configPath = configPath }
}

/// The rank-side entry point.
public enum WorkerProcess {
    /// Runs the job on this rank and returns the process exit code. Never returns on a failure
    /// that must end the other ranks (the job is aborted through MPI).
    public static func run(_ options: WorkerOptions) -> Int32 {
        // First of all: a stop asked while MPI starts or the config travels is kept for the first
        // step (which then saves and exits 3), not the default action that would end the rank.
        StopRequest.installSignalHandlers()
        _ = HostMemory.atStart   // read before any rank of this host loads its data
        if let delay = ProcessInfo.processInfo.environment["RINGTRAIN_TEST_START_DELAY"].flatMap(Double.init), (0...60).contains(delay) {
            Thread.sleep(forTimeInterval: delay)   // test hook: holds the start-up window open for a signal
        }
        let collectives: Collectives
        do {
            try MPIEnvironment.initialize()
            collectives = Collectives(try MPICommunicator.world())
        } catch {
            Log.logger.error("cannot start MPI: \(error)")
            return 1
        }
        let rank = collectives.rank
        // Every wait on the other ranks is bounded, from the config broadcast to MPI_Finalize:
        // until the config is known, by a `--set cluster.failure_timeout=S` on the command line
        // (the same on every rank), else by the default.
        let watchdog = collectives.size > 1 ? Watchdog(timeout: startupTimeout(options.overrides), rank: rank) : nil
        func finalize() throws {
            watchdog?.arm("MPI_Finalize")
            try MPIEnvironment.finalize()
            watchdog?.disarm()
        }
        func fail(_ message: String, code: Int32) -> Never {
            Log.logger.error("\(message)")   // the handler tags the line "rank R of N"
            collectives.communicator.abort(errorCode: code)
        }

        // Rank 0 checks the config; every rank then parses the same resolved text.
        let config: RunConfig
        do {
            watchdog?.arm("config broadcast")
            config = try agreeOnConfig(options, collectives: collectives)
            watchdog?.disarm()
            watchdog?.setTimeout(config.cluster.failureTimeout)
            Log.logger.debug("config agreed: job \(config.job.name) (\(ResolvedConfig.hash(job: config.job)))")
        } catch let error as ConfigError {
            watchdog?.disarm()
            if rank == 0 { Log.logger.error("\(error)") }
            try? finalize()
            return 2
        } catch {
            fail("\(error)", code: 1)
        }

        var job = config.job
        if job.ranks != collectives.size {
            if rank == 0 && job.ranks != 1 {
                Log.logger.notice("job.ranks is \(job.ranks) but mpirun started \(collectives.size) ranks; using \(collectives.size)")
            }
            job.ranks = collectives.size
        }
        if let watchdog {
            do { try collectives.installWatchdog(watchdog) } catch { fail("\(error)", code: 1) }
        }
        var folderLock: FolderLock?
        defer { folderLock?.release() }
        if rank == 0, let note = BLASKernelSelection.currentNote { Log.logger.notice("\(note)") }
        do {
            if rank == 0 && options.launched { LauncherWatch.start(rank: rank) }
            if rank == 0, !options.launched, let dir = options.runDirectory {
                // Started by mpirun directly: rank 0 owns the run folder for the whole run.
                if options.resume && !FileManager.default.fileExists(atPath: dir + "/checkpoints") {
                    throw TrainingError("nothing to resume: \(dir)/checkpoints does not exist")
                }
                try RunFolder.claim(dir, resume: options.resume)
                folderLock = try FolderLock(folder: dir, purpose: options.resume ? "worker --resume" : "worker")
                try RunFolder.claim(dir, resume: options.resume)
                if !options.resume { try RunFolder.checkEarlierJob(dir, job: job) }
            }
            if rank == 0, !options.resume, let dir = options.runDirectory, !FileManager.default.fileExists(atPath: dir + "/resolved.yaml") {
                _ = try RunFolder.create(at: dir, config: config, running: job)
            }
            if let steps = options.traceSteps {
                try trace(job: job, group: collectives, steps: steps, options: options)
            } else {
                let session = TrainingSession(job: job, collectives: collectives, runDirectory: options.runDirectory, json: options.json)
                if let dir = options.runDirectory {
                    session.checkpoints = CheckpointSettings(directory: dir + "/checkpoints",
                                                             configHash: ResolvedConfig.hash(job: job), resume: options.resume,
                                                             resetOptimizer: options.resetOptimizer)
                    session.afterResume = { _ = try RunFolder.create(at: dir, config: config, running: job) }
                }
                if let failRank = options.failRank, let failStep = options.failStep, failRank == rank {
                    session.failAtStep = failStep
                    session.failure = options.failMode
                }
                let outcome = try session.run()
                if rank == 0, let path = options.dumpParameters, let trainer = session.trainer {
                    try dump(trainer.network.store.parameters.array, to: path)
                }
                if case .interrupted = outcome {
                    try finalize()
                    return 3
                }
            }
            try finalize()
            return 0
        } catch let error as any UsageError {
            fail("\(error)", code: 2)
        } catch let error as DivergenceError {
            // Every rank stopped at the same step (rank 0 wrote the diverged line): end together.
            if rank == 0 { Log.logger.error("\(error)") }
            try? finalize()
            return 1
        } catch let error as CollectiveError where error.kind == .peerFailed {
            fail("\(error)", code: 2)   // rank 0 failed with its own error and code; peers report alike
        } catch {
            fail("\(error)", code: 1)
        }
    }

    /// The failure timeout before the config is read: the last valid `cluster.failure_timeout`
    /// override, else the default (60 s).
    static func startupTimeout(_ overrides: [String]) -> Double {
        let prefix = "cluster.failure_timeout="
        let given = overrides.last { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
        guard let given, given >= 1, given <= 86_400 else { return ClusterSpec().failureTimeout }
        return given
    }

    /// Rank 0 loads the config and broadcasts `OK` + resolved YAML or `ERR` + the message.
    static func agreeOnConfig(_ options: WorkerOptions, collectives: Collectives) throws -> RunConfig {
        var message: [UInt8] = []
        var original: RunConfig?
        if collectives.rank == 0 {
            do {
                let config = try RunConfig.load(path: options.configPath, overrides: options.overrides)
                original = config
                message = Array(("OK\n" + ResolvedConfig.yaml(job: config.job, cluster: config.cluster)).utf8)
            } catch let error as ConfigError {
                message = Array(("ERR\n" + error.description).utf8)
            }
        }
        message = try collectives.broadcast(message, root: 0)
        let text = String(decoding: message, as: UTF8.self)
        guard text.hasPrefix("OK\n") else {
            throw ConfigError(file: options.configPath, keyPath: "", message: String(text.dropFirst(4)))
        }
        if let original { return original }
        return try RunConfig(file: ConfigFile.parse(text: String(text.dropFirst(3)), path: options.configPath))
    }

    /// Runs `steps` optimizer steps of training, rank 0 printing one JSON line per step
    /// (`StepTrace`); fails if the ranks' parameter checksums ever differ.
    static func trace(job: TrainingJob, group: Collectives, steps: Int, options: WorkerOptions) throws {
        let trainer = try StepTrace.run(job: job, collectives: group, steps: steps, checksum: parameterChecksum)
        if group.rank == 0, let path = options.dumpParameters { try dump(trainer.network.store.parameters.array, to: path) }
    }

    /// FNV-1a over the parameters' bytes: equal exactly when the parameters are bit-identical
    /// (up to hash collisions).
    static func parameterChecksum(_ values: UnsafeMutableBufferPointer<Float>) -> UInt64 {
        var hash = FNV1a()
        for v in values { hash.add(word: UInt64(v.bitPattern)) }
        return hash.value
    }

    static func dump(_ values: [Float], to path: String) throws {
        let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }
}
