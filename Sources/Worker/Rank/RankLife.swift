// RankLife: one rank's life from "rank r of N" to its exit code, the same for one rank in the
// launching process and for N ranks under mpirun: agree on the job, claim the run folder, build
// the session, resume, train, save, exit.
import Collective
import Foundation
import Logging
import Model

/// The one path every rank runs.
public enum RankLife {
    /// How the ranks are joined.
    public enum World: Sendable, Equatable {
        /// This process is the only rank (`ringtrain train`/`resume` with one rank): no MPI, and
        /// errors are thrown to the command as they are.
        case singleRank
        /// mpirun or srun started this process: MPI joins the ranks, and a failure that must end
        /// the others ends the job through MPI.
        case mpi
    }

    /// The status a rank aborts the job with when a collective fails because a peer went away
    /// (an MPI communication error): a launcher may restart such a run (`cluster.restarts`).
    public static let lostPeerStatus: Int32 = 4

    /// Runs this rank and returns its exit code: 0 done, 1 failed, 2 bad config or input, 3
    /// stopped after saving a checkpoint. With `.mpi` it never throws (a failure aborts the job);
    /// with `.singleRank` every error is thrown.
    public static func run(_ options: RankOptions, setup: some RankSetup, world: World) throws -> Int32 {
        // First of all: a stop asked while MPI starts or the config travels is kept for the first
        // step (which then saves and exits 3), not the default action that would end the rank.
        // One rank trains in the command's own process: it says what a stop does, as a launcher does.
        StopRequest.installSignalHandlers(announce: world == .singleRank && options.runDirectory != nil
            ? "ringtrain: stopping — the step in progress finishes and a checkpoint is saved (Ctrl-C again, a second later, quits without saving)" : nil,
            quit: world == .singleRank ? "ringtrain: quitting without saving" : nil)
        _ = HostMemory.atStart   // read before any rank of this host loads its data
        if let delay = RankTestHooks.startDelay { Thread.sleep(forTimeInterval: delay) }
        let collectives: Collectives
        switch world {
        case .singleRank:
            collectives = .singleRank()
        case .mpi:
            do {
                try MPIEnvironment.initialize()
                collectives = Collectives(try MPICommunicator.world())
            } catch {
                Log.logger.error("cannot start MPI: \(error)")
                return 1
            }
        }
        let rank = collectives.rank
        // Every wait on the other ranks is bounded, from the config broadcast to MPI_Finalize:
        // until the config is known, by a `--set cluster.failure_timeout=S` on the command line
        // (the same on every rank), else by the default.
        let watchdog = collectives.size > 1 ? Watchdog(timeout: options.startupTimeout, rank: rank) : nil
        func finalize() throws {
            guard world == .mpi else { return }
            watchdog?.arm("MPI_Finalize")
            try MPIEnvironment.finalize()
            watchdog?.disarm()
        }
        func fail(_ error: Error, code: Int32) throws -> Never {
            guard world == .mpi else { throw error }
            Log.logger.error("\(error)")   // the handler tags the line "rank R of N"
            collectives.communicator.abort(errorCode: code)
        }

        // Rank 0 reads the config; every other rank receives it in its canonical form.
        let agreed: AgreedJob
        let settings: RankSettings
        do {
            watchdog?.arm("config broadcast")
            agreed = try agree(options, setup: setup, collectives: collectives, world: world)
            settings = try agreed.settings()
            watchdog?.disarm()
            watchdog?.setTimeout(settings.failureTimeout)
            Log.logger.debug("config agreed: job \(agreed.job.name) (\(setup.hash(job: agreed.job)))")
        } catch let error as RankConfigError {
            watchdog?.disarm()
            if rank == 0 { Log.logger.error("\(error)") }
            try? finalize()
            return 2
        } catch let error as any UsageError {
            try fail(error, code: 2)
        } catch {
            try fail(error, code: 1)
        }

        var job = agreed.job
        if job.ranks != collectives.size {
            if rank == 0 && job.ranks != 1 {
                Log.logger.notice("job.ranks is \(job.ranks) but mpirun started \(collectives.size) ranks; using \(collectives.size)")
            }
            job.ranks = collectives.size
        }
        if let watchdog {
            do { try collectives.installWatchdog(watchdog) } catch { try fail(error, code: 1) }
        }
        do {
            collectives.allowsHostMemory = settings.sharedMemory
            let layout = try collectives.chooseAllReduce(settings.allReduce)
            if rank == 0, let note = AllReduceNote.text(choice: settings.allReduce, layout: layout, chosen: collectives.allReduceAlgorithm) {
                // Asked for by name and not possible: a warning; otherwise a note of what runs.
                if settings.allReduce == .twoLevel && collectives.allReduceAlgorithm == .ring {
                    Log.logger.warning("\(note)")
                } else {
                    Log.logger.notice("\(note)")
                }
            }
        } catch { try fail(error, code: 1) }
        var folderLock: FolderLock?
        defer { folderLock?.release() }
        if rank == 0, let note = BLASKernelSelection.currentNote { Log.logger.notice("\(note)") }
        do {
            if rank == 0 && options.launched && world == .mpi { LauncherWatch.start(rank: rank) }
            if rank == 0, !options.launched, let dir = options.runDirectory {
                // Started by mpirun directly: rank 0 owns the run folder for the whole run.
                if options.resume && !FileManager.default.fileExists(atPath: dir + "/checkpoints") {
                    throw TrainingError("nothing to resume: \(dir)/checkpoints does not exist")
                }
                try setup.claim(dir, resume: options.resume)
                folderLock = try FolderLock(folder: dir, purpose: options.resume ? "worker --resume" : "worker")
                try setup.claim(dir, resume: options.resume)
                if !options.resume { try setup.checkEarlierJob(dir, job: job) }
            }
            if rank == 0, !options.resume, let dir = options.runDirectory, !setup.hasConfigFiles(dir) {
                try setup.writeConfigFiles(dir, running: job)
            }
            if let steps = options.traceSteps {
                try setup.trace(job: job, group: collectives, steps: steps, options: options)
            } else {
                // A resumed run rewrites its config files only once its checkpoint has loaded.
                var afterResume: (() throws -> Void)?
                if let dir = options.runDirectory {
                    let running = job
                    afterResume = { try setup.writeConfigFiles(dir, running: running) }
                }
                let session = TrainingSession(job: job, collectives: collectives, options: options, configHash: setup.hash(job: job),
                                              afterResume: afterResume)
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
            try fail(error, code: 2)
        } catch let error as DivergenceError where world == .mpi {
            // Every rank stopped at the same step (rank 0 wrote the diverged line): end together.
            if rank == 0 { Log.logger.error("\(error)") }
            try? finalize()
            return 1
        } catch let error as CollectiveError where error.kind == .peerFailed {
            try fail(error, code: 2)   // rank 0 failed with its own error and code; peers report alike
        } catch let error as CollectiveError where error.kind == .mpi && error.call != "MPI_Finalize" {
            try fail(error, code: lostPeerStatus)   // a peer or its host went away under a collective
        } catch {
            try fail(error, code: 1)
        }
    }

    /// Rank 0 loads the config and broadcasts `OK` and the job's and cluster's canonical JSON,
    /// or `ERR` and the message; the other ranks decode the job from that JSON.
    static func agree(_ options: RankOptions, setup: some RankSetup, collectives: Collectives, world: World) throws -> AgreedJob {
        if world == .singleRank { return try setup.load() }
        var message: [UInt8] = []
        var loaded: AgreedJob?
        if collectives.rank == 0 {
            do {
                let agreed = try setup.load()
                loaded = agreed
                message = agreed.message
            } catch let error as any UsageError {
                message = Array(("ERR\n" + error.description).utf8)
            }
        }
        message = try collectives.broadcast(message, root: 0)
        switch AgreedJob.parts(of: message) {
        case .failure(var error):
            error.file = options.configPath
            throw error
        case .success(let parts):
            if let loaded { return loaded }
            let job = try setup.decodeJob(parts.job)
            return AgreedJob(job: job, encodedJob: parts.job, encodedCluster: parts.cluster)
        }
    }

    /// Writes `values` as raw little-endian float32 (`--dump-parameters`).
    public static func dump(_ values: [Float], to path: String) throws {
        let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }
}
