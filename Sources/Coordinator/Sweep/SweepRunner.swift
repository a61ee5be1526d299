// SweepRunner: runs a sweep to completion — asks the search strategy for configurations, runs
// each as a trial (a data-parallel training job or a program) under a supervisor, follows its
// metrics live, stops unpromising trials early and retries failures. Launching is in TrialLaunch,
// recovery in SweepRecovery.
import Foundation
import Model
import Worker
import Yams

/// Drives one sweep in its run folder. All state lives in `sweep.sqlite`, and every decision is
/// written there before it takes effect; running the same sweep again (or `ringtrain resume`)
/// adopts the trials still running and continues where it stopped.
public final class SweepRunner {
    /// The sweep's config (the recorded copy when resuming).
    public let config: RunConfig
    /// The sweep section, its run cap extended when a resume raised it.
    public private(set) var spec: SweepSpec
    /// The sweep's folder.
    public let runDirectory: String
    let store: SweepStore
    let sweepID: String
    private let tagFolder: String
    private let lock: FolderLock
    private var strategy: any SearchStrategy
    let earlyStop: (any EarlyTerminationPolicy)?
    let console: SweepConsole
    var active: [Int: ActiveTrial] = [:]
    /// Under Slurm: a trial's ranks were stopped by a signal the sweep itself did not get (a
    /// preemption's SIGTERM to the job's steps, or `scancel --signal` without `--full`). The
    /// sweep then stops too, with checkpoints, instead of starting that trial again at once.
    var stoppedFromOutside = false
    /// Trials waiting for an earlier attempt's processes to give their run folder's lock up, by
    /// trial: when the wait began (this process only).
    var folderLockWaits: [Int: Double] = [:]
    /// Each training trial's last epoch (or evaluation), by trial, once known: never a rung.
    var lastReports: [Int: Int] = [:]
    private var exhausted = false
    /// The cluster's hosts, shared out among the multi-rank trials running at once (a distributed
    /// program's `program_ranks`, a training trial's `job.ranks` above 1); nil when not shared:
    /// under Slurm (srun places them), or a hostfile leaves some host's slots to Open MPI.
    var shares: HostShares?
    /// Whether a paused trial may have become promotable since the last look (a rung judged, a
    /// trial ended, or this coordinator just started).
    var promotionDue = true
    /// When status.json and the report were last written (monotonic seconds) and how long that
    /// took, whether a trial started or ended since the report, the trial count at the last
    /// write, and whether a failed write was warned about.
    private var status: (writtenAt: Double, took: Double) = (-1e9, 0)
    private var report: (writtenAt: Double, took: Double) = (-1e9, 0)
    private var reportDue = false
    private var statusTrials = 0
    private var statusWarned = false
    /// Print nothing (benchmarks drive many small sweeps). Default false.
    public var quiet = false { didSet { console.enabled = !quiet } }

    /// A trial attempt this coordinator watches: one it started, or one adopted from an earlier
    /// coordinator (then there is no child process to wait for, only its supervisor to look for).
    struct ActiveTrial {
        let attempt: Int
        let process: ChildProcess?
        let follower: LineFollower
        var stopRequested: Bool
        var lastLivenessCheck = 0.0
        /// Set once the processes a lost supervisor left were asked to stop: when they get killed,
        /// on the monotonic clock (`TrialExec.monotonicSeconds`; the store records the wall-clock
        /// time for a restarted coordinator, see `adoptDrain`).
        var drainDeadline: Double? = nil
        /// The highest epoch (or evaluation) this attempt reported and had judged at its rung;
        /// nil until an adopted attempt is first read (it then takes what the store holds).
        var judgedThrough: Int? = nil
        /// The global step of the checkpoint a launched training attempt resumed from: its lines
        /// up to that step are earlier attempts' lines, kept by the resume. Default nil.
        var resumedAtStep: Int? = nil
        /// An epoch this attempt reported without the sweep's metric yet (another line of it may
        /// still carry it): judged when it does, or when a later epoch arrives. Default nil.
        var pendingRung: Int? = nil
        /// The hosts (and port) this attempt holds; nil when it holds none.
        var placement: TrialPlacement? = nil
    }

    /// Opens (or creates) the sweep in `runDirectory` and takes ownership of the folder. Refuses
    /// a folder another coordinator owns, or one holding a sweep of a different config. A
    /// `runCap` (default none) larger than the sweep's extends it, recorded in the store; the
    /// largest recorded one holds from then on.
    public init(config: RunConfig, spec: SweepSpec, runDirectory: String, runCap: Int? = nil) throws {
        self.config = config
        self.spec = spec
        self.runDirectory = runDirectory
        try SweepParser.checkNoStopAfter(config)
        try SweepFolder.claim(runDirectory)
        lock = try FolderLock(folder: runDirectory, purpose: "sweep")
        let origin = SweepOrigin(identity: Self.identity(of: config), configDirectory: config.file.directory,
                                 overrides: SweepSpec.overridesApplied(to: config.file))
        let storePath = runDirectory + "/" + SweepFolder.storeFile
        let claimed: (sweepID: String, origin: SweepOrigin?)
        if FileManager.default.fileExists(atPath: storePath) {
            store = try SweepStore(path: storePath)
            claimed = try store.claim(sweepID: UUID().uuidString, origin: origin, legacyHash: FNV1a.hex(config.file.text))
        } else {
            // A new sweep — unless the folder shows one was here: then its store was lost, and
            // starting over would run its trials again.
            let trials = SweepFolder.trialFolders(runDirectory)
            let leftovers = ["-wal", "-shm"].filter { FileManager.default.fileExists(atPath: storePath + $0) }
            if !trials.isEmpty || !leftovers.isEmpty {
                let shown = trials.prefix(3).map { String(format: "trial-%04d", $0) } + leftovers.map { SweepFolder.storeFile + $0 }
                throw SweepStoreError(path: storePath, message: "is missing, but the folder holds what a sweep left ("
                                      + shown.joined(separator: ", ") + "); its trials are not run again")
            }
            try AtomicFile.write(config.file.text, to: runDirectory + "/" + SweepFolder.configFile)
            let id = UUID().uuidString
            store = try SweepStore.create(path: storePath, sweepID: id, origin: origin, legacyHash: FNV1a.hex(config.file.text),
                                          uniqueConfigurations: spec.population == nil)
            claimed = (id, origin)
        }
        guard let recorded = claimed.origin, recorded.identity == origin.identity else {
            throw ConfigError(file: config.file.path, keyPath: "",
                              message: "\(runDirectory) holds a sweep of a different config",
                              hint: "continue it with `ringtrain resume \(runDirectory)`, or start a new sweep with --run-dir")
        }
        // Every stored value is checked before anything runs.
        let known = Set(try store.checkedTrials(space: spec.space).map(\.id))
        _ = try store.epochMetrics()
        try SweepFolder.checkTrialFolders(runDirectory, known: known)
        if let runCap, runCap > spec.runCap { try store.extend(runCap: runCap) }
        if let extended = try store.extendedRunCap(), extended > self.spec.runCap { self.spec.runCap = extended }
        sweepID = claimed.sweepID
        tagFolder = runDirectory
        switch spec.method {
        case .grid: strategy = GridSearch(space: spec.space)
        case .random, .pbt: strategy = RandomSearch(space: spec.space, seed: spec.seed)   // pbt: its first generation
        case .bayes: strategy = BayesianSearch(space: spec.space, goal: spec.metric.goal, seed: spec.seed)
        }
        // A training trial's own last epoch (or evaluation) is never a rung either: see `isLastReport`.
        earlyStop = spec.earlyTerminate.map { ASHA(minIter: $0.minIter ?? 1, eta: $0.eta, maxIter: $0.maxIter) }
        console = SweepConsole(metric: spec.metric)
        shares = config.cluster.launcher == .mpirun ? try HostShares.of(config.cluster) : nil
    }

    /// What a sweep's config means, as a fingerprint: the parsed document (overrides applied)
    /// written out again, so comments and layout do not count, and the folder its relative paths
    /// are taken from.
    static func identity(of config: RunConfig) -> String { identity(of: config.file) }

    /// The fingerprint of a loaded config file (as `identity(of:)` of its RunConfig).
    static func identity(of file: ConfigFile) -> String {
        FNV1a.hex(file.directory + "\n" + ((try? Yams.serialize(node: file.root.node)) ?? file.text))
    }

    /// The config of the sweep in `runDirectory`, read from its copy with the overrides and the
    /// base folder recorded when the sweep began (so relative paths resolve as they first did).
    /// `extraOverrides` (default none) are applied after the recorded ones. `store` reads the
    /// origin (default: the folder's store, opened to run the sweep); `dataFiles` as for `RunConfig`.
    public static func recordedConfig(runDirectory: String, extraOverrides: [String] = [], store: SweepStore? = nil,
                                      dataFiles: DatasetParser.FileCheck = .required) throws -> RunConfig {
        let origin = try (store ?? SweepStore(path: runDirectory + "/" + SweepFolder.storeFile)).origin()
        let file = try ConfigFile.load(path: SweepFolder.configPath(runDirectory), overrides: (origin?.overrides ?? []) + extraOverrides,
                                       baseDirectory: origin?.configDirectory)
        return try RunConfig(file: file, dataFiles: dataFiles)
    }

    /// Replaces status.json (for `ringtrain status` on other hosts) and the report files
    /// (report.html reloading itself until the end) after trials start or end: status.json at
    /// most every 2 s, the report at most every 5 s, each less often when it takes long to make
    /// (a sweep of thousands of trials), so the sweep never waits on them. Once `ended` (with
    /// `finished`: every trial done), both are written whatever the time, as readers then see the
    /// sweep: not running. What cannot be written is a warning, never the sweep's end.
    func writeStatus(changed: Bool, ended: Bool = false, finished: Bool = false) {
        let now = TrialExec.monotonicSeconds()
        reportDue = reportDue || changed
        do {
            if ended || now - status.writtenAt >= max(2, 5 * status.took) {
                let holder = ended ? nil : FolderLock.lastHolder(of: runDirectory)
                try SweepStatus.make(path: runDirectory, spec: spec, store: store, holder: holder, finished: ended ? finished : nil)
                    .write(to: runDirectory)
                status = (now, TrialExec.monotonicSeconds() - now)
            }
            if reportDue && (ended || now - report.writtenAt >= max(5, 3 * report.took)) {
                let results = try SweepResults.load(runDirectory: runDirectory, store: store)
                let problems = ReportFiles.write(results, effects: ParameterEffects.compute(results), live: !ended)
                report = (now, TrialExec.monotonicSeconds() - now)
                reportDue = false
                if let problem = problems.first { throw ConfigError(file: runDirectory, keyPath: "", message: problem) }
            }
        } catch {
            if !statusWarned { console.log(.warning, "cannot write the sweep's status or report: \(error.fileErrorText)") }
            statusWarned = true
        }
    }

    func trialDirectory(_ id: Int) -> String { runDirectory + String(format: "/trial-%04d", id) }
    func tag(_ id: Int) -> String { TrialExec.tag(sweepID: sweepID, runDirectory: tagFolder, trial: id) }

    /// Runs until every trial is done (true) or a stop signal arrived (false: the running
    /// trials were stopped, with a checkpoint where they make one, and resume next time).
    public func run() throws -> Bool {
        StopRequest.installSignalHandlers(quit: "ringtrain: quitting without waiting for the trials; those asked to stop end on their own, "
                                          + "and `ringtrain resume \(runDirectory)` takes the sweep up again")
        signal(SIGCHLD, SIG_DFL)   // an inherited SIG_IGN would make supervisors unwaitable
        if (spec.program == nil || spec.programRanks != nil) && config.cluster.launcher == .slurm {
            try SlurmLauncher.checkSweep(parallel: spec.parallel, ranks: spec.programRanks ?? config.job.ranks, configPath: config.file.path)
        }
        console.line("sweep: \(spec.method.rawValue) search, metric \(spec.metric.name) (\(spec.metric.goal.rawValue)), "
                     + "run_cap \(spec.runCap), \(spec.parallel) at a time; run folder \(runDirectory)")
        decideWhereRankZeroRuns()
        try reconcile()
        SweepTensorBoard.writeExperiment(spec, folder: runDirectory)
        // Trials that ended while no coordinator watched, or just before one was killed, get
        // their session end now (it is written once).
        let lastEpochs = try store.epochMetrics()
        for trial in try store.trials() where trial.status.isFinal {
            SweepTensorBoard.trialEnded(trial, spec: spec, folder: trialDirectory(trial.id), step: lastEpochs[trial.id]?.keys.max() ?? 0)
        }
        var pause = 0.01
        while true {
            if StopRequest.pendingSignal != nil || stoppedFromOutside {
                try shutdown()
                writeStatus(changed: true, ended: true)
                return false
            }
            let before = active.count
            try pollActive()
            let ended = active.count < before
            if promotionDue || ended {
                try promotePaused()
                try advancePopulation()
            }
            let afterPoll = active.count
            try fillSlots()
            let launched = active.count > afterPoll
            let trials = try store.trials()
            let waiting = trials.contains { $0.status.isWaiting }
            if active.isEmpty && !waiting && (trials.count >= spec.runCap || exhausted) {
                // A population never ends with a member waiting between generations.
                if spec.population != nil, let stuck = trials.first(where: { $0.status == .paused }) {
                    throw ConfigError(file: runDirectory, keyPath: "", message: "the population cannot go on: trial \(stuck.id) waits at "
                                      + "the end of a generation, but no next generation can start (internal error)",
                                      hint: "`ringtrain resume \(runDirectory)` tries again; the trials' folders and sweep.sqlite keep everything")
                }
                break
            }
            writeStatus(changed: ended || launched || trials.count != statusTrials)
            statusTrials = trials.count
            showProgress(trials)
            // Short trials are noticed quickly; long ones are polled five times a second.
            pause = ended ? 0.01 : min(0.2, pause * 2)
            Thread.sleep(forTimeInterval: pause)
        }
        writeStatus(changed: true, ended: true, finished: true)
        let trials = try store.trials()
        let best = Self.best(trials, goal: spec.metric.goal)
        console.line("sweep done: \(trials.filter { $0.status == .finished }.count) finished, "
                     + "\(trials.filter { $0.status == .stopped }.count) stopped early, "
                     + (trials.contains { $0.status == .paused } || spec.earlyTerminate?.pause == true
                        ? "\(trials.filter { $0.status == .paused }.count) paused, " : "")
                     + "\(trials.filter { $0.status == .failed }.count) failed"
                     + (best.map { "; best \(spec.metric.name) \(SweepConsole.format($0.value)) (trial \($0.id))" } ?? "")
                     + "\nreport: ringtrain report \(runDirectory)")
        return true
    }

    /// The best finished, stopped or paused trial by the sweep metric.
    static func best(_ trials: [TrialRecord], goal: MetricGoal) -> (id: Int, value: Double)? {
        let scored = trials.filter { $0.status.isRanked && $0.metric != nil }
        let pick = goal == .minimize ? scored.min { $0.metric! < $1.metric! } : scored.max { $0.metric! < $1.metric! }
        return pick.map { ($0.id, $0.metric!) }
    }

    private func showProgress(_ trials: [TrialRecord]) {
        let done = trials.filter { spec.isSettled($0.status) }.count
        console.bar(done: done, total: max(spec.runCap, trials.count), running: active.count,
                    best: Self.best(trials, goal: spec.metric.goal))
    }

    // MARK: Launching

    private func fillSlots() throws {
        var free = spec.parallel - active.count
        guard free > 0 else { return }
        let trials = try store.trials()
        for trial in trials where trial.status.isWaiting && free > 0 {
            // Its slot stays taken while the earlier attempt's processes are still going.
            if !folderLockReleased(trial.id) { free -= 1; continue }
            guard try launch(trial) else { return }   // no room on the hosts yet: the trials behind it wait too
            free -= 1
        }
        guard free > 0, !exhausted else { return }
        let room = spec.runCap - trials.count
        guard room > 0 else { return }
        let configurations: [Configuration]
        do {
            configurations = try strategy.suggest(count: min(free, room), history: try observations())
        } catch let error as SearchExhausted {
            exhausted = true
            console.line("sweep: \(error)")
            return
        }
        let added = Set(try store.addTrials(configurations, asMembers: spec.population != nil))
        CrashPoint.pass("coordinator", "trial-added")
        for trial in try store.trials() where added.contains(trial.id) { guard try launch(trial) else { return } }
    }

    /// Whether trial `id` may start again: its run folder's lock is free. A process of an earlier
    /// attempt may still hold it for a moment (a supervisor lost, its processes killed but not yet
    /// gone); a new attempt started then would be refused the folder (exit 2) and count as a
    /// failure. The wait is bounded by the stop grace period plus 15 s: a lock held longer
    /// belongs to something else, and the attempt's refusal names it.
    func folderLockReleased(_ id: Int) -> Bool {
        guard let holder = FolderLock.holder(of: trialDirectory(id)) else {
            folderLockWaits[id] = nil
            return true
        }
        let now = TrialExec.monotonicSeconds()
        guard let since = folderLockWaits[id] else {
            folderLockWaits[id] = now
            console.log(.notice, "[trial \(id)] waiting for its run folder to be released (\(holder)) before starting it again")
            return false
        }
        if now - since < config.cluster.stopGracePeriod + 15 { return false }
        folderLockWaits[id] = nil
        return true
    }

    /// Follows what attempt `attempt` of a trial reports: a program's output after the attempt's
    /// marker, or a training trial's metrics.jsonl — from its start (epochs are numbered, so
    /// re-reading is harmless), or, for an attempt being `launched` (default false), from its
    /// current end and from the start again when the resume rewrites it.
    func follower(_ id: Int, attempt: Int, launched: Bool = false) -> LineFollower {
        spec.program != nil
            ? LineFollower(path: trialDirectory(id) + "/output.log", after: TrialExec.attemptMarker(attempt))
            : LineFollower(path: trialDirectory(id) + "/metrics.jsonl", fromEnd: launched)
    }

    // MARK: Following

    private func pollActive() throws {
        for id in active.keys.sorted() {
            guard var trial = active[id] else { continue }
            try readEpochs(id)
            if trial.drainDeadline != nil {   // its supervisor is gone; its leftovers are stopping
                try endAttempt(id)
                continue
            }
            if let process = trial.process {
                if process.poll() != nil { try endAttempt(id) }
                continue
            }
            // Adopted: its supervisor is not our child; its status file says when it ended.
            if TrialExec.recordedEnd(in: trialDirectory(id), attempt: trial.attempt) != nil {
                try endAttempt(id)
                continue
            }
            let now = TrialExec.monotonicSeconds()
            guard now - trial.lastLivenessCheck >= 1 else { continue }
            trial.lastLivenessCheck = now
            active[id] = trial
            if TrialExec.supervisor(tagged: tag(id)) == nil { try endAttempt(id) }
        }
    }

    /// Sends `sig` to a running trial's supervisor (which passes a stop on to the command); never
    /// to a process that took the PID of a supervisor already waited for.
    func signalSupervisor(_ id: Int, _ sig: Int32) {
        if let process = active[id]?.process { process.signal(sig); return }
        if let pid = TrialExec.supervisor(tagged: tag(id)) { TrialExec.sendSignal(sig, to: pid, tagged: tag(id)) }
    }

    /// Every trial as the search strategies and early termination see it.
    func observations() throws -> [TrialObservation] {
        try store.observations(space: spec.space, metricName: spec.metric.name)
    }
}
