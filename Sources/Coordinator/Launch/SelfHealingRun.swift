// SelfHealingRun: a multi-rank run under mpirun that restarts itself, as `cluster.restarts` allows,
// after a rank or host is lost or goes silent: pre-flight again, keep the hosts that answer, take
// the most ranks they allow, resume from the newest checkpoint, and record each restart.
import Foundation
import Logging
import Worker

/// Runs a job's ranks under mpirun (or srun) until it ends for good, restarting it after a lost
/// or silent rank or host while `cluster.restarts` allows (`RestartPlan`). A restart resumes
/// exactly as `ringtrain resume` would. The caller holds the run folder.
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
    }

    /// Exit status: 0 done, 3 stopped after a checkpoint, 2 bad input, 1 failed for good.
    func run() throws -> Int32 {
        let spec = config.cluster.restarts
        let runDirectory = options.runDirectory!
        let listed = try RankPlacement.listedHosts(config.cluster)
        var attempt = Attempt(ranks: config.job.ranks, hosts: listed, resume: options.resume)
        var restartTimes: [Date] = []
        var failures: [String] = []
        var pending: PendingRestartRecord?   // the last restart's record, until its run trains again
        defer { pending?.settle() }
        while true {
            let divergedBefore = Self.divergedLines(runDirectory)
            let ending = try launch(attempt)
            pending?.settle()
            pending = nil
            if [0, 2, 3].contains(ending.status) { return ending.status }
            let hosts = attempt.hosts
            var failure = RunFailure.classify(
                status: ending.status, evidence: ending.evidence, stopAsked: ending.stopAsked,
                diverged: !Self.divergedLines(runDirectory).subtracting(divergedBefore).isEmpty,
                hostOfRank: { RankPlacement.host(ofRank: $0, hosts: hosts, localHost: ProcessInfo.processInfo.hostName) })
            let failedAt = ending.failureSeen ?? Date()
            failures.append("\(Self.timestamp(failedAt)): \(failure.summary) (mpirun exit status \(ending.status))")
            guard spec.enabled, failure.restartable else {
                let why = spec.enabled && failure.kind != "stopped" ? "; not restarted: it would happen again" : ""
                Log.logger.error("the \(attempt.ranks)-rank job failed (mpirun exit status \(ending.status)): \(failure.summary)\(why); see the rank messages above")
                return 1
            }
            let earlier = RestartPlan.inWindow(restartTimes, spec: spec, now: Date())
            guard earlier < spec.max else {
                let message = "giving up: \(earlier) restart\(earlier == 1 ? "" : "s") already within cluster.restarts.window "
                    + "(\(Self.duration(spec.window)), max \(spec.max)); the failures:\n  " + failures.joined(separator: "\n  ")
                Log.logger.error("\(message)")
                return 1
            }
            let delay = RestartPlan.delay(spec, earlierInWindow: earlier)
            Log.logger.notice("\(failure.summary); restart \(earlier + 1) of at most \(spec.max) within \(Self.duration(spec.window)) in \(Self.duration(delay))")
            if BackoffWait.interrupted(after: delay) {
                let resumable = Self.latestStep(runDirectory) != nil
                Log.logger.notice("stopped while waiting to restart; \(resumable ? "continue with `ringtrain resume \(runDirectory)`" : "nothing was saved yet")")
                return resumable ? 3 : 1
            }
            let (usable, dropped) = try usableHosts(listed)
            let slots = RestartPlan.slots(of: usable, oversubscribe: config.cluster.oversubscribe)
            guard listed.isEmpty || !usable.isEmpty,
                  let ranks = RestartPlan.ranks(requested: config.job.ranks, slots: slots, batchSize: config.job.batchSize,
                                                accumulate: config.job.accumulate, minRanks: spec.minRanks) else {
                let left: String = usable.map(\.host).joined(separator: ", ")
                let slotCount: Int = slots ?? config.job.ranks
                var message = "giving up: the hosts left (\(left.isEmpty ? "none" : left), \(slotCount) slots) allow no rank count"
                message += " of at least cluster.restarts.min_ranks (\(spec.minRanks)) that divides batch_size \(config.job.batchSize)"
                message += " into \(config.job.accumulate) micro-batch(es) per rank; the failures:\n  " + failures.joined(separator: "\n  ")
                Log.logger.error("\(message)")
                return 1
            }
            failure = failure.naming(droppedHosts: dropped)
            restartTimes.append(Date())
            let resumeStep = Self.latestStep(runDirectory)
            let failedAtStep = Heartbeat.read(runDirectory: runDirectory)?.step
            if resumeStep == nil {
                // No checkpoint yet: the run starts over, so the lines it wrote go.
                try? FileManager.default.removeItem(atPath: runDirectory + "/metrics.jsonl")
            }
            let record = RestartRecord(
                time: Self.timestamp(failedAt), restart: restartTimes.count, cause: failure.kind, rank: failure.rank, host: failure.host,
                summary: failure.summary, ranksBefore: attempt.ranks, ranksAfter: ranks, hosts: usable.map(\.host),
                droppedHosts: dropped, failedAtStep: failedAtStep, resumedFromStep: resumeStep,
                stepsLost: failedAtStep.map { max(0, $0 - (resumeStep ?? 0)) }, secondsToTraining: nil)
            pending = PendingRestartRecord(record, runDirectory: runDirectory, failedAt: failedAt)
            attempt = Attempt(ranks: ranks, hosts: usable, resume: attempt.resume || resumeStep != nil)
        }
    }

    init(config: RunConfig, options: RankOptions) {
        (self.config, self.options) = (config, options)
    }

    /// Starts one attempt and waits for its end.
    private func launch(_ attempt: Attempt) throws -> MPILauncher.Ending {
        var options = self.options
        options.resume = attempt.resume
        if attempt.ranks != config.job.ranks { options.overrides.append("job.ranks=\(attempt.ranks)") }
        var cluster = config.cluster
        if !attempt.hosts.isEmpty && attempt.hosts != cluster.hosts { (cluster.hosts, cluster.hostfile) = (attempt.hosts, nil) }
        let program = MPILauncher.selfExecutable
        let command = cluster.launcher == .slurm
            ? try SlurmLauncher.command(cluster: cluster, ranks: attempt.ranks, program: program, arguments: options.workerArguments)
            : MPILauncher.command(cluster: cluster, ranks: attempt.ranks, program: program, arguments: options.workerArguments)
        // Once one rank has failed, the others give up within failure_timeout: mpirun needs no longer.
        return try MPILauncher.runWatched(command, watchedByRankZero: true, teardownBound: min(15, config.cluster.failureTimeout))
    }

    /// The listed hosts that pass the pre-flight check now (this machine always does), and the
    /// names of those that do not.
    private func usableHosts(_ listed: [HostSlots]) throws -> ([HostSlots], [String]) {
        guard !listed.isEmpty, config.cluster.preflight else { return (listed, []) }
        let configFile = URL(fileURLWithPath: options.configPath).standardizedFileURL.path
        let outcomes = try HostPreflight.outcomes(config.cluster, binary: MPILauncher.selfExecutable, files: [configFile])
        let failed = Set(outcomes.filter { $0.outcome != .ok }.map(\.host))
        for (host, outcome) in outcomes where outcome != .ok {
            Log.logger.warning("host \(host) is left out of the restart: \(outcome)")
        }
        return (listed.filter { !failed.contains($0.host) }, listed.map(\.host).filter(failed.contains))
    }

    /// The step of the checkpoint `latest` names, if any.
    static func latestStep(_ runDirectory: String) -> Int? {
        CheckpointStore(directory: runDirectory + "/checkpoints").latest().flatMap(CheckpointStore.step(ofFolder:))
    }

    /// metrics.jsonl's `diverged` lines (a new one means the attempt diverged).
    static func divergedLines(_ runDirectory: String) -> Set<Substring> {
        guard let text = try? String(contentsOfFile: runDirectory + "/metrics.jsonl", encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").filter { $0.contains("\"event\"") && $0.contains("\"diverged\"") })
    }

    static func timestamp(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// `10 s`, `2.5 min`, `1 h`.
    static func duration(_ seconds: Double) -> String {
        if seconds >= 3600 && seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600)) h" }
        if seconds >= 60 { return String(format: "%g min", seconds / 60) }
        return String(format: "%g s", seconds)
    }
}

/// A restart's record, written (and printed) once the restarted run has finished its first step,
/// seen in rank 0's heartbeat, or with no time to training when the attempt ends first.
private final class PendingRestartRecord: @unchecked Sendable {
    // @unchecked: `record` and `written` are guarded by `lock`.
    private let lock = NSLock()
    private var record: RestartRecord
    private var written = false
    private let runDirectory: String

    init(_ record: RestartRecord, runDirectory: String, failedAt: Date) {
        (self.record, self.runDirectory) = (record, runDirectory)
        let relaunched = Date()
        Thread.detachNewThread { [self] in
            while !lock.withLock({ written }) {
                if let beat = Heartbeat.read(runDirectory: runDirectory), beat.time > relaunched {
                    lock.withLock { self.record.secondsToTraining = (beat.time.timeIntervalSince(failedAt) * 10).rounded() / 10 }
                    settle()
                    return
                }
                usleep(100_000)
            }
        }
    }

    /// Writes the record now (once), with what is known.
    func settle() {
        let record: RestartRecord? = lock.withLock {
            if written { return nil }
            written = true
            return self.record
        }
        guard let record else { return }
        Log.logger.notice("\(record.line)")
        do { try RestartLog.append(record, runDirectory: runDirectory) } catch {
            Log.logger.warning("the restart was not recorded in \(RestartLog.fileName): \(error)")
        }
    }
}

/// The wait before a restart, cut short by SIGINT, SIGTERM or SIGUSR1 (a person or a scheduler
/// stopping the run: then no restart follows).
enum BackoffWait {
    /// Waits `seconds`; true when a stop signal came first.
    static func interrupted(after seconds: Double) -> Bool {
        let stop = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM, SIGUSR1] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        defer {
            for source in sources { source.cancel() }
            for sig in [SIGINT, SIGTERM, SIGUSR1] { signal(sig, SIG_DFL) }
        }
        return stop.wait(timeout: .now() + seconds) == .success
    }
}
