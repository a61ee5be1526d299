// TrialLaunch: one attempt of a sweep's trial started — its hosts, its command (a training run, a
// program, or a distributed program under mpirun or srun), its supervisor, and the store's record.
import Foundation
import Worker

extension SweepRunner {
    /// Starts an attempt of `stored`, or fails it when its configuration cannot run. False when
    /// it waits: the hosts have no room for its ranks now (nothing was changed).
    func launch(_ stored: TrialRecord) throws -> Bool {
        var trial = stored
        trial.configuration = spec.space.normalized(stored.configuration)
        let directory = trialDirectory(trial.id)
        func fail(_ message: String) throws -> Bool {
            if try transition(trial.id, from: stored.status, .invalidConfiguration(TrialFailure(message: message))) {
                console.log(.warning, "[trial \(trial.id)] failed: \(message)")
            }
            return true
        }
        // What the trial runs, and the ranks it places on the hosts (nil: one process, here).
        let programArguments = spec.programArguments(for: trial.configuration)
        var trialConfig: RunConfig?
        if programArguments == nil {
            do {
                trialConfig = try spec.trialConfig(base: config, configuration: trial.configuration)
            } catch let error as ConfigError {
                return try fail("invalid configuration: \(error)")
            }
        }
        let placement: TrialPlacement?
        switch try hosts(ranks: trialConfig?.job.ranks ?? spec.programRanks, training: trialConfig != nil) {
        case .placed(let placed): placement = placed
        case .waits: return false
        case .neverFits(let message): return try fail(message)
        }
        try RunFolder.prepareTrialFolder(path: directory)
        var command: [String]
        var resumedAtStep: Int?
        var environment: [String: String] = [:]
        var distributed: DistributedProgramTrial?
        if let arguments = programArguments {
            command = arguments
            if let ranks = spec.programRanks {
                distributed = DistributedProgramTrial(cluster: config.cluster, ranks: ranks, placement: placement, arguments: arguments)
            }
            if spec.population != nil {
                environment = try programMemberEnvironment(trial.id)   // it goes on from its generation's start
            } else {
                try store.clearEpochs(trial.id)   // a program starts again from its first epoch
            }
        } else {
            let trialConfig = trialConfig!
            let cluster = placement.map { Self.cluster(trialConfig.cluster, placedOn: $0, parallel: spec.parallel) } ?? trialConfig.cluster
            let yaml = ResolvedConfig.yaml(job: trialConfig.job, cluster: cluster)
            try AtomicFile.write(yaml, to: directory + "/config.yaml")
            // The sweep warned about the config it starts from; a trial's own settings are the sweep's doing.
            var arguments = [MPILauncher.selfExecutable, "train", directory + "/config.yaml", "--run-dir", directory, "--json",
                             "--no-config-warnings"]
            // A population member trains one generation an attempt.
            if spec.population != nil, let stop = try memberGenerationEnd(trial.id) { arguments += ["--stop-after", String(stop)] }
            if FileManager.default.fileExists(atPath: directory + "/checkpoints/latest") {
                arguments.append("--resume")
                resumedAtStep = Self.checkpointStep(directory)
            }
            command = arguments
            // Epochs past the checkpoint are trained and reported again: their old values go.
            try store.clearEpochs(trial.id, afterStep: resumedAtStep ?? 0)
        }
        if let distributed {   // built before the attempt is recorded: a launcher that cannot start changes nothing
            let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path   // ranks on other hosts start elsewhere
            let variables = environment.merging(["RINGTRAIN_TRIAL_DIR": absolute, TrialExec.tagVariable: tag(trial.id),
                                                 ProgramRank.attemptVariable: String(stored.attempts + 1)]) { $1 }
            let launcher = try distributed.command(variables: variables)
            command = launcher.arguments
            environment.merge(launcher.environment) { $1 }
        }
        try placement?.save(in: directory)
        guard try transition(trial.id, from: stored.status, .attemptStarted), let attempt = try store.attempts(trial.id) else { return true }
        CrashPoint.pass("coordinator", "trial-marked-running")
        SweepTensorBoard.trialStarted(trial.id, configuration: trial.configuration, spec: spec, folder: directory)
        try TrialExec.clearRecordedEnd(in: directory)
        let follower = self.follower(trial.id, attempt: attempt, launched: true)   // before the attempt can write
        var supervisor = ["trial-exec", directory, "--attempt", String(attempt), "--grace", String(config.cluster.stopGracePeriod)]
        if let timeout = spec.trialTimeout { supervisor += ["--timeout", String(timeout)] }
        if distributed != nil { supervisor.append("--stop-every-process") }
        let log = open(directory + "/output.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        defer { if log >= 0 { close(log) } }
        let process = try ChildProcess(executable: MPILauncher.selfExecutable, arguments: supervisor + ["--"] + command,
                                       environment: environment.merging([TrialExec.tagVariable: tag(trial.id)]) { $1 },
                                       stdoutFD: log >= 0 ? log : nil, stderrFD: log >= 0 ? log : nil)
        CrashPoint.pass("coordinator", "supervisor-started")
        try store.setPID(trial.id, pid: process.pid)
        CrashPoint.pass("coordinator", "pid-recorded")
        active[trial.id] = launched(trial.id, attempt: attempt, process: process, follower: follower, resumedAtStep: resumedAtStep)
        active[trial.id]?.placement = placement
        let resumed = attempt > 1 ? " (attempt \(attempt))" : ""
        let hosts = placement.map { $0.hosts.isEmpty || !config.cluster.listsHosts ? "" : "; ranks on " + $0.hosts.map { "\($0.host):\($0.ranks)" }.joined(separator: ",") } ?? ""
        console.line("[trial \(trial.id)] started\(resumed): \(SweepConsole.describe(trial.configuration))\(hosts)")
        return true
    }
}
