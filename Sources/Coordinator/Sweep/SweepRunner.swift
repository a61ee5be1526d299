// SweepRunner: runs a sweep to completion — asks the search strategy for configurations, runs
// each as a trial (a data-parallel training job or a program) under a supervisor, follows its
// metrics live, stops unpromising trials early, retries failures, and survives its own death.
import Foundation
import Worker

/// Drives one sweep in its run folder. All state lives in `sweep.sqlite`; running the same
/// sweep again (or `ringtrain resume`) continues where it stopped.
public final class SweepRunner {
    public let config: RunConfig
    public let spec: SweepSpec
    public let runDirectory: String
    let store: SweepStore
    private let sweepID: String
    private var strategy: any SearchStrategy
    private let earlyStop: (any EarlyTerminationPolicy)?
    private let console: SweepConsole
    private var active: [Int: ActiveTrial] = [:]
    private var exhausted = false
    /// Print nothing (benchmarks drive many small sweeps). Default false.
    public var quiet = false { didSet { console.enabled = !quiet } }

    private struct ActiveTrial {
        let process: ChildProcess
        let follower: LineFollower
        var stoppedEarly = false
    }

    /// Opens (or creates) the sweep in `runDirectory`. Refuses a folder holding a sweep of a
    /// different config.
    public init(config: RunConfig, spec: SweepSpec, runDirectory: String) throws {
        self.config = config
        self.spec = spec
        self.runDirectory = runDirectory
        do {
            try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        } catch {
            throw ConfigError(file: runDirectory, keyPath: "", message: "cannot create the run folder: \(error.localizedDescription)")
        }
        let copy = runDirectory + "/cluster.yaml"
        if !FileManager.default.fileExists(atPath: copy) { try Data(config.file.text.utf8).write(to: URL(fileURLWithPath: copy)) }
        store = try SweepStore(path: runDirectory + "/sweep.sqlite")
        let hash = ResolvedConfig.fnv1a(config.file.text)
        let claimed = try store.claim(sweepID: UUID().uuidString, configHash: hash)
        guard claimed.configHash == hash else {
            throw ConfigError(file: config.file.path, keyPath: "",
                              message: "\(runDirectory) holds a sweep of a different config",
                              hint: "continue it with `ringtrain resume \(runDirectory)`, or start a new sweep with --run-dir")
        }
        sweepID = claimed.sweepID
        switch spec.method {
        case .grid: strategy = GridSearch(space: spec.space)
        case .random: strategy = RandomSearch(space: spec.space, seed: spec.seed)
        case .bayes: strategy = BayesianSearch(space: spec.space, goal: spec.metric.goal, seed: spec.seed)
        }
        // A training trial's last epoch is never a rung: stopping it there would only relabel it.
        let lastEpoch = config.hasJob ? config.job.epochs : nil
        earlyStop = spec.earlyTerminate.map { ASHA(minIter: $0.minIter ?? 1, eta: $0.eta, maxIter: $0.maxIter ?? lastEpoch) }
        console = SweepConsole(metric: spec.metric)
    }

    func trialDirectory(_ id: Int) -> String { runDirectory + String(format: "/trial-%04d", id) }
    private var tagPrefix: String { sweepID + ":" }

    /// Runs until every trial is done (true) or a stop signal arrived (false: the running
    /// trials were checkpointed and will resume next time).
    public func run() throws -> Bool {
        StopRequest.installSignalHandlers()
        console.line("sweep: \(spec.method.rawValue) search, metric \(spec.metric.name) (\(spec.metric.goal.rawValue)), "
                     + "run_cap \(spec.runCap), \(spec.parallel) at a time; run folder \(runDirectory)")
        try reconcile()
        var pause = 0.01
        while true {
            if StopRequest.pendingSignal != nil {
                try shutdown()
                return false
            }
            let before = active.count
            try pollActive()
            let ended = active.count < before
            try fillSlots()
            let trials = try store.trials()
            let pending = trials.contains { $0.status == .pending }
            if active.isEmpty && !pending && (trials.count >= spec.runCap || exhausted) { break }
            showProgress(trials)
            // Short trials are noticed quickly; long ones are polled five times a second.
            pause = ended ? 0.01 : min(0.2, pause * 2)
            Thread.sleep(forTimeInterval: pause)
        }
        let trials = try store.trials()
        let best = Self.best(trials, goal: spec.metric.goal)
        console.line("sweep done: \(trials.filter { $0.status == .finished }.count) finished, "
                     + "\(trials.filter { $0.status == .stopped }.count) stopped early, \(trials.filter { $0.status == .failed }.count) failed"
                     + (best.map { "; best \(spec.metric.name) \(SweepConsole.format($0.value)) (trial \($0.id))" } ?? "")
                     + "\nreport: ringtrain report \(runDirectory)")
        return true
    }

    /// The best finished or stopped trial by the sweep metric.
    static func best(_ trials: [TrialRecord], goal: MetricGoal) -> (id: Int, value: Double)? {
        let scored = trials.filter { ($0.status == .finished || $0.status == .stopped) && $0.metric != nil }
        let pick = goal == .minimize ? scored.min { $0.metric! < $1.metric! } : scored.max { $0.metric! < $1.metric! }
        return pick.map { ($0.id, $0.metric!) }
    }

    private func showProgress(_ trials: [TrialRecord]) {
        let done = trials.filter { [.finished, .failed, .stopped].contains($0.status) }.count
        console.bar(done: done, total: max(spec.runCap, trials.count), running: active.count,
                    best: Self.best(trials, goal: spec.metric.goal))
    }

    // MARK: Launching

    private func fillSlots() throws {
        var free = spec.parallel - active.count
        guard free > 0 else { return }
        let trials = try store.trials()
        for trial in trials where trial.status == .pending && free > 0 {
            try launch(trial)
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
        let added = Set(try store.addTrials(configurations))
        for trial in try store.trials() where added.contains(trial.id) { try launch(trial) }
    }

    private func launch(_ trial: TrialRecord) throws {
        let directory = trialDirectory(trial.id)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let command: [String]
        let followed: String
        if let arguments = spec.programArguments(for: trial.configuration) {
            command = arguments
            followed = directory + "/output.log"
        } else {
            let trialConfig: RunConfig
            do {
                trialConfig = try spec.trialConfig(base: config, configuration: trial.configuration)
            } catch let error as ConfigError {
                try store.markRunning(trial.id)
                try store.fail(trial.id, error: "invalid configuration: \(error)")
                console.line("[trial \(trial.id)] failed: invalid configuration: \(error)")
                return
            }
            let yaml = ResolvedConfig.yaml(job: trialConfig.job, cluster: trialConfig.cluster)
            try Data(yaml.utf8).write(to: URL(fileURLWithPath: directory + "/config.yaml"))
            var arguments = [MPILauncher.selfExecutable, "train", directory + "/config.yaml", "--run-dir", directory, "--json"]
            if FileManager.default.fileExists(atPath: directory + "/checkpoints/latest") { arguments.append("--resume") }
            command = arguments
            followed = directory + "/metrics.jsonl"
        }
        try store.markRunning(trial.id)
        let log = open(directory + "/output.log", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        defer { if log >= 0 { close(log) } }
        let process = try ChildProcess(executable: MPILauncher.selfExecutable,
                                       arguments: ["trial-exec", directory, "--"] + command,
                                       environment: [TrialExec.tagVariable: tagPrefix + String(trial.id)],
                                       stdoutFD: log >= 0 ? log : nil, stderrFD: log >= 0 ? log : nil)
        try store.setPID(trial.id, pid: process.pid)
        let follower = LineFollower(path: followed)
        active[trial.id] = ActiveTrial(process: process, follower: follower)
        let resumed = trial.attempts > 0 ? " (attempt \(trial.attempts + 1))" : ""
        console.line("[trial \(trial.id)] started\(resumed): \(SweepConsole.describe(trial.configuration))")
    }

    // MARK: Following

    private func pollActive() throws {
        for id in active.keys.sorted() {
            guard let trial = active[id] else { continue }
            try readEpochs(id, trial.follower)
            if let status = trial.process.poll() {
                try readEpochs(id, trial.follower)
                let stoppedEarly = active[id]?.stoppedEarly ?? false
                active[id] = nil
                try conclude(id, status: status, stoppedEarly: stoppedEarly, shuttingDown: false)
            }
        }
    }

    private func readEpochs(_ id: Int, _ follower: LineFollower) throws {
        for line in follower.newLines() {
            guard let fields = numericFields(ofJSONLine: line), let epoch = fields["epoch"], fields["final"] == nil else { continue }
            try store.recordEpoch(id, epoch: Int(epoch), metrics: fields)
            if let value = fields[spec.metric.name] {
                console.line("[trial \(id)] epoch \(Int(epoch)): \(spec.metric.name) \(SweepConsole.format(value))")
            }
            if let policy = earlyStop, active[id]?.stoppedEarly == false,
               policy.shouldStop(trial: id, epoch: Int(epoch), history: try observations(), goal: spec.metric.goal) {
                active[id]?.stoppedEarly = true
                active[id]?.process.signal(SIGTERM)
                console.line("[trial \(id)] stopping early after epoch \(Int(epoch)) (successive halving)")
            }
        }
    }

    /// Records how a trial's attempt ended: finished, stopped, interrupted (back to pending),
    /// or failed (retried up to max_retries).
    private func conclude(_ id: Int, status: Int32, stoppedEarly: Bool, shuttingDown: Bool) throws {
        guard let trial = try store.trials().first(where: { $0.id == id }) else { return }
        let directory = trialDirectory(id)
        let outcome = spec.program != nil
            ? TrialOutcome.program(output: (try? String(contentsOfFile: directory + "/output.log", encoding: .utf8)) ?? "",
                                   metricName: spec.metric.name)
            : TrialOutcome.training(directory: directory, metricName: spec.metric.name)
        if stoppedEarly {
            // Asked to stop: a training trial checkpoints and exits 3; a program may just die.
            let last = try store.epochMetrics()[id]?.sorted { $0.key < $1.key }.last?.value[spec.metric.name]
            try store.finish(id, status: .stopped, metric: last ?? outcome.metric, finalMetrics: outcome.metrics)
            return
        }
        if status == 0, let metric = outcome.metric {
            try store.finish(id, status: .finished, metric: metric, finalMetrics: outcome.metrics)
            console.line("[trial \(id)] finished: \(spec.metric.name) \(SweepConsole.format(metric))")
            return
        }
        if status == 3 || shuttingDown {
            try store.requeue(id, failed: false)
            return
        }
        let reason = status == 0
            ? "the trial ended without a finite \(spec.metric.name) (found: \(outcome.metrics.keys.sorted().joined(separator: ", ")))"
            : "exit status \(status)"
        let tail = TrialOutcome.tail(of: directory + "/output.log")
        let lastLine = tail.split(separator: "\n").last.map { ": " + $0 } ?? ""
        let error = reason + lastLine + "\n" + tail
        if trial.failures < spec.maxRetries {
            try store.requeue(id, failed: true, error: error)
            console.line("[trial \(id)] failed (\(reason)); retrying (\(trial.failures + 1) of \(spec.maxRetries))")
        } else {
            try store.fail(id, error: error)
            console.line("[trial \(id)] failed (\(reason)); giving up after \(trial.failures + 1) failed attempt(s)")
        }
    }

    /// Every trial as the search strategies and early termination see it.
    private func observations() throws -> [TrialObservation] {
        let epochs = try store.epochMetrics()
        return try store.trials().map { t in
            var intermediate: [Int: Double] = [:]
            for (epoch, metrics) in epochs[t.id] ?? [:] { if let v = metrics[spec.metric.name] { intermediate[epoch] = v } }
            return TrialObservation(id: t.id, configuration: t.configuration, status: t.status, metric: t.metric,
                                    intermediate: intermediate)
        }
    }

    // MARK: Surviving

    /// After a coordinator crash: trials recorded as running either ended meanwhile (their
    /// supervisor recorded the status), or are still running (stopped with a checkpoint), or
    /// never started; each is concluded or put back to pending, never run twice.
    private func reconcile() throws {
        for trial in try store.trials() where trial.status == .running {
            let directory = trialDirectory(trial.id)
            if TrialExec.recordedStatus(in: directory) == nil {
                let leftovers = TrialExec.processes(tagged: tagPrefix + String(trial.id))
                if !leftovers.isEmpty {
                    console.line("[trial \(trial.id)] stopping processes left by an earlier coordinator (they save a checkpoint)")
                    try stopLeftovers(tag: tagPrefix + String(trial.id), supervisor: trial.pid.map(Int32.init))
                }
            }
            if let status = TrialExec.recordedStatus(in: directory) {
                try conclude(trial.id, status: status, stoppedEarly: false, shuttingDown: false)
            } else {
                try store.requeue(trial.id, failed: false)
            }
        }
    }

    private func stopLeftovers(tag: String, supervisor: Int32?) throws {
        if let supervisor, TrialExec.processes(tagged: tag).contains(supervisor) { kill(supervisor, SIGTERM) }
        else { for pid in TrialExec.processes(tagged: tag) { kill(pid, SIGTERM) } }
        let deadline = Date().addingTimeInterval(config.cluster.stopGracePeriod + 15)
        while !TrialExec.processes(tagged: tag).isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        for pid in TrialExec.processes(tagged: tag) { kill(pid, SIGKILL) }
    }

    /// Ctrl-C or SIGTERM: every running trial saves a checkpoint and stops; they resume later.
    private func shutdown() throws {
        console.line("sweep: stopping — \(active.count) running trial(s) save a checkpoint; continue with `ringtrain resume \(runDirectory)`")
        for trial in active.values { trial.process.signal(SIGTERM) }
        let deadline = Date().addingTimeInterval(config.cluster.stopGracePeriod + 30)
        while !active.isEmpty && Date() < deadline {
            for (id, trial) in active {
                if let status = trial.process.poll() {
                    try readEpochs(id, trial.follower)
                    active[id] = nil
                    try conclude(id, status: status, stoppedEarly: trial.stoppedEarly, shuttingDown: true)
                }
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        for (id, trial) in active {
            trial.process.signalGroup(SIGKILL)
            try store.requeue(id, failed: false)
        }
        active = [:]
    }
}
