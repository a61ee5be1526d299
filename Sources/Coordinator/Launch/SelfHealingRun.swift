// SelfHealingRun: a multi-rank run under mpirun that restarts itself, as `cluster.restarts` allows,
// after a rank or host is lost or goes silent: pre-flight again, keep the hosts that answer, take
// the most ranks they allow, resume from the newest checkpoint as `ringtrain resume` would.
import Foundation
import Logging
import Worker

/// Runs a job's ranks under mpirun (or srun) until it ends for good, restarting it after a lost
/// or silent rank or host while `cluster.restarts` allows (`RestartPlan`). A restart is launched
/// as `ringtrain resume RUN_DIR --ranks N` would be: from the run folder's resolved.yaml. The
/// caller holds the run folder.
struct SelfHealingRun {
    /// The checked config of the run.
    let config: RunConfig
    /// The ranks' options for the first attempt (absolute config path and run folder).
    let options: RankOptions

    /// One launch: how many ranks, on which hosts (empty: this machine), resuming or not.
    private struct Attempt {
        var ranks: Int
        var hosts: [HostSlots]
        var resume: Bool
        var restart = false
    }

    private var runDirectory: String { options.runDirectory! }
    /// The config every restart reads (written when supervision starts): `.restart.yaml`.
    private var restartConfig: String { runDirectory + "/.restart.yaml" }
    private var checkpoints: CheckpointStore { CheckpointStore(directory: runDirectory + "/checkpoints") }

    /// Exit status: 0 done, 3 stopped after a checkpoint, 2 bad input, 1 failed for good.
    func run() throws -> Int32 {
        let spec = config.cluster.restarts
        let listed = try RankPlacement.listedHosts(config.cluster)
        let stop = StopLatch()
        defer { stop.release() }
        let output = ReportLineFilter()
        if spec.enabled {
            try checkSharedRunFolder(listed)
            guard try RankPlacement.slotsKnown(config.cluster) else {
                throw LaunchError("cluster.restarts needs slots=N on every line of cluster.hostfile: the slots left after a host "
                                  + "is lost must be known here (Open MPI would count the cores of hosts without it)")
            }
            // What a restart runs: the job as launched now, whatever becomes of the config file.
            try AtomicFile.write(ResolvedConfig.yaml(job: config.job, cluster: config.cluster), to: restartConfig)
        }
        var attempt = Attempt(ranks: config.job.ranks, hosts: listed, resume: options.resume)
        let launcherName = config.cluster.launcher == .slurm ? "srun" : "mpirun"
        var restartTimes: [Date] = []
        var failures: [String] = []
        var resumedFrom: [Int?] = []   // the checkpoint step of each restart so far
        var restartNumber = RestartLog.read(runDirectory: runDirectory).records.map(\.restart).max() ?? 0
        var watch: TrainingAgainWatch?
        var launchedOnce = false
        defer { watch?.finish() }
        while true {
            // A stop before the first launch still launches: the ranks save after their first step
            // and the run exits 3, resumable, as a stop a moment later does.
            if stop.requested != nil && launchedOnce { return stoppedBetweenAttempts() }
            let divergedBefore = Self.divergedLines(runDirectory)
            let ending = try launch(attempt, listed: listed, stop: stop, output: output)
            launchedOnce = true
            watch?.finish()
            watch = nil
            if [0, 2, 3].contains(ending.status) { return ending.status }
            if ending.stopAsked { return stoppedBetweenAttempts() }   // a stop that found ranks not yet able to save
            let hosts = attempt.hosts
            var failure = RunFailure.classify(
                status: ending.status, evidence: ending.evidence, stopAsked: ending.stopAsked,
                diverged: !Self.divergedLines(runDirectory).subtracting(divergedBefore).isEmpty,
                hostOfRank: { ending.evidence.srunTaskHosts[$0]
                    ?? RankPlacement.host(ofRank: $0, hosts: hosts, localHost: ProcessInfo.processInfo.hostName) })
            let failedAt = ending.failureSeen ?? Date()
            failures.append("\(Self.timestamp(failedAt)): \(failure.summary) (\(launcherName) exit status \(ending.status))")
            let earlier = "; the failures:\n  " + failures.joined(separator: "\n  ")
            guard spec.enabled, failure.restartable else {
                let why = spec.enabled && failure != .stopped ? "; not restarted: it would happen again" : ""
                let message = "the \(attempt.ranks)-rank job failed (\(launcherName) exit status \(ending.status)): \(failure.summary)\(why)"
                    + (restartTimes.isEmpty ? "; see the rank messages above" : earlier)
                Log.logger.error("\(message)")
                return 1
            }
            let inWindow = RestartPlan.inWindow(restartTimes, spec: spec, now: Date())
            guard inWindow < spec.max else {
                let message = "giving up: \(inWindow) restart\(inWindow == 1 ? "" : "s") already within cluster.restarts.window "
                    + "(\(durationText(spec.window)), max \(spec.max))" + earlier
                Log.logger.error("\(message)")
                return 1
            }
            let resumeStep = checkpoints.newestStep()
            if resumedFrom.count >= spec.max, resumedFrom.suffix(spec.max).allSatisfy({ $0 == resumeStep }) {
                let from = resumeStep.map { "step \($0)" } ?? "the start"
                let message = "giving up: the last \(spec.max) restarts all went back to \(from) without a newer checkpoint" + earlier
                Log.logger.error("\(message)")
                return 1
            }
            let delay = RestartPlan.delay(spec, earlierInWindow: inWindow)
            Log.logger.notice("\(failure.summary); restarting in \(durationText(delay))")
            if stop.wait(seconds: delay) { return stoppedBetweenAttempts() }
            let (usable, dropped) = try usableHosts(listed)
            if stop.requested != nil { return stoppedBetweenAttempts() }
            let slots = try RankPlacement.slotsKnown(config.cluster) ? RestartPlan.slots(of: usable, oversubscribe: config.cluster.oversubscribe) : nil
            guard listed.isEmpty || !usable.isEmpty,
                  let ranks = RestartPlan.ranks(requested: config.job.ranks, slots: slots, batchSize: config.job.batchSize,
                                                accumulate: config.job.accumulate, minRanks: spec.minRanks) else {
                let left: String = usable.map(\.host).joined(separator: ", ")
                var message = "giving up: the hosts left (\(left.isEmpty ? "none" : left), \(slots ?? 0) slots) allow no rank count"
                message += " of at least cluster.restarts.min_ranks (\(spec.minRanks)) that divides batch_size \(config.job.batchSize)"
                message += " into \(config.job.accumulate) micro-batch(es) per rank" + earlier
                Log.logger.error("\(message)")
                return 1
            }
            failure = failure.naming(droppedHosts: dropped)
            restartTimes.append(Date())
            resumedFrom.append(resumeStep)
            restartNumber += 1
            let failedAtStep = Heartbeat.read(runDirectory: runDirectory)?.step
            let resume = attempt.resume || !checkpoints.list().isEmpty
            if !resume {
                // No checkpoint yet: the run starts over, so the lines it wrote go.
                try? FileManager.default.removeItem(atPath: runDirectory + "/metrics.jsonl")
            }
            let record = RestartRecord(
                time: Self.timestamp(failedAt), restart: restartNumber, cause: failure.kind, rank: failure.rank, host: failure.host,
                summary: failure.summary, ranksBefore: attempt.ranks, ranksAfter: ranks, hosts: usable.map(\.host),
                droppedHosts: dropped, failedAtStep: failedAtStep, resumedFromStep: resumeStep,
                stepsLost: failedAtStep.map { max(0, $0 - (resumeStep ?? 0)) }, secondsToTraining: nil)
            Log.logger.notice("\(record.line)")
            do { try RestartLog.append(record, runDirectory: runDirectory) } catch {
                Log.logger.warning("the restart is not recorded in \(RestartLog.fileName): \(error)")
            }
            watch = TrainingAgainWatch(restart: restartNumber, runDirectory: runDirectory, failedAt: failedAt)
            output.newAttempt()
            attempt = Attempt(ranks: ranks, hosts: usable, resume: resume, restart: true)
        }
    }

    /// Starts one attempt and waits for its end. A restart reads `.restart.yaml` (the job as this
    /// supervision launched it, every `--set` applied, whatever became of the config file since)
    /// with the new rank count.
    private func launch(_ attempt: Attempt, listed: [HostSlots], stop: StopLatch, output: ReportLineFilter) throws -> MPILauncher.Ending {
        var options = self.options
        options.resume = attempt.resume
        if attempt.restart {
            options.configPath = restartConfig
            options.overrides = ["cluster.failure_timeout=\(config.cluster.failureTimeout)", "job.ranks=\(attempt.ranks)"]
                + (config.job.stopAfter.map { ["job.stop_after=\($0)"] } ?? [])   // where this run stops is not in .restart.yaml
        }
        var cluster = config.cluster
        var cutHostfile: String?
        defer { if let cutHostfile { try? FileManager.default.removeItem(atPath: cutHostfile) } }
        if attempt.hosts != listed {
            if cluster.hostfile != nil {
                cutHostfile = try RankPlacement.hostfile(of: cluster, keeping: Set(attempt.hosts.map(\.host)))
                cluster.hostfile = cutHostfile
            } else {
                cluster.hosts = attempt.hosts
            }
        }
        let program = MPILauncher.selfExecutable
        let command = cluster.launcher == .slurm
            ? try SlurmLauncher.command(cluster: cluster, ranks: attempt.ranks, program: program, arguments: options.workerArguments)
            : MPILauncher.command(cluster: cluster, ranks: attempt.ranks, program: program, arguments: options.workerArguments)
        // Once one rank has failed, the others give up within failure_timeout: mpirun needs no longer.
        return try MPILauncher.runWatched(command, watchedByRankZero: true, teardownBound: min(15, config.cluster.failureTimeout),
                                          stop: stop, output: output, runDirectory: runDirectory)
    }

    /// Restarts read rank 0's run folder (checkpoints, heartbeat) on this machine: with rank 0 on
    /// another host, the folder must be on storage both see. Checked through the pre-flight's
    /// remote shell: every remote host must read the folder's marker at the same path.
    private func checkSharedRunFolder(_ listed: [HostSlots]) throws {
        guard let first = listed.first?.host, !HostPreflight.isLocal(first), config.cluster.launcher == .mpirun else { return }
        guard config.cluster.preflight else {
            throw LaunchError("cluster.restarts with rank 0 on another host (\(listed[0].host)) needs cluster.preflight: the check "
                              + "that every host sees the run folder runs through it (or list this machine first in cluster.hosts)")
        }
        let marker = runDirectory + "/" + RunFolder.markerFile
        let outcomes = try HostPreflight.outcomes(config.cluster, binary: MPILauncher.selfExecutable, files: [marker])
        let blind = outcomes.filter { $0.outcome != .ok }.map(\.host)
        guard blind.isEmpty else {
            throw LaunchError("cluster.restarts needs the run folder on storage every host shares: rank 0 runs on \(listed[0].host) "
                + "and writes \(runDirectory) there, and this machine reads it to restart the run, but \(blind.joined(separator: ", ")) "
                + "cannot read \(marker) (put the run folder on a shared file system, list this machine first in cluster.hosts, "
                + "or turn cluster.restarts off)")
        }
    }

    /// The listed hosts that pass the pre-flight check now (this machine always does), and the
    /// names of those that do not.
    private func usableHosts(_ listed: [HostSlots]) throws -> ([HostSlots], [String]) {
        guard !listed.isEmpty, config.cluster.preflight, config.cluster.launcher == .mpirun else { return (listed, []) }
        let shared = !HostPreflight.isLocal(listed[0].host) ? [runDirectory + "/" + RunFolder.markerFile] : []
        let outcomes = try HostPreflight.outcomes(config.cluster, binary: MPILauncher.selfExecutable, files: shared)
        var failed = Set<String>()
        for (host, outcome) in outcomes where outcome != .ok {
            failed.insert(host)
            Log.logger.warning("host \(host) is left out of the restart: \(outcome.description)")
        }
        return (listed.filter { !failed.contains($0.host) }, listed.map(\.host).filter(failed.contains))
    }

    /// A stop asked between attempts: nothing runs; 3 when there is a checkpoint to resume.
    private func stoppedBetweenAttempts() -> Int32 {
        let resumable = !checkpoints.list().isEmpty
        Log.logger.notice("stopped before restarting; \(resumable ? "continue with `ringtrain resume \(runDirectory)`" : "nothing was saved yet")")
        return resumable ? 3 : 1
    }

    /// metrics.jsonl's `diverged` lines (a new one means the attempt diverged).
    static func divergedLines(_ runDirectory: String) -> Set<Substring> {
        guard let text = try? String(contentsOfFile: runDirectory + "/metrics.jsonl", encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").filter { $0.contains("\"event\"") && $0.contains("\"diverged\"") })
    }

    static func timestamp(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
