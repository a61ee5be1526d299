// SlurmRequeue: puts a Slurm batch job back in the queue once its run has stopped with a checkpoint
// (the time-limit warning, a preemption's signal, `scancel --signal=USR1`), so it resumes when it
// runs again. Slurm requeues a preempted job only if it has to kill it, and never one that reached
// its time limit. A job being cancelled (`scancel` sends SIGTERM to it) is left cancelled.
import Foundation
import Logging
import Worker

/// `scontrol requeue` of this process's own Slurm job.
public enum SlurmRequeue {
    /// What became of the job.
    public enum Outcome: Equatable, Sendable {
        /// Requeued: it runs again (and resumes) when Slurm starts it.
        case requeued(job: String)
        /// Left alone, with the reason (the job is being cancelled, or Slurm refused).
        case notRequeued(job: String, reason: String)
    }

    /// The job's state in `scontrol show job --oneliner` output (`JobState=RUNNING ...`), if named.
    static func jobState(in description: String) -> String? {
        description.split(whereSeparator: { $0 == " " || $0 == "\n" })
            .first { $0.hasPrefix("JobState=") }
            .map { String($0.dropFirst("JobState=".count)) }
    }

    /// States in which the job is ending for good (`scancel` makes it COMPLETING at once, then
    /// CANCELLED): requeueing would undo the user's own decision.
    static let ending: Set<String> = ["COMPLETING", "CANCELLED", "COMPLETED", "FAILED", "TIMEOUT", "DEADLINE", "OUT_OF_MEMORY", "NODE_FAIL"]

    /// Requeues job `SLURM_JOB_ID` of `slurm` (default: this process's environment) with
    /// `scontrol requeue Incomplete`, which leaves a job already ending (cancelled meanwhile) alone,
    /// and logs what happened. Not requeued: when this process got `signal` SIGTERM or SIGINT (what
    /// `scancel` and Ctrl-C send; the warning and a preemption send the script's USR1 or signal the
    /// ranks alone), when Slurm says the job is ending or cannot say what it is, or when the run
    /// made no progress (`progressed` false: no checkpoint past the one it resumed from; a
    /// requeue would repeat it). Throws when this is not a Slurm job.
    @discardableResult
    public static func requeueAfterStop(signal: Int32?, progressed: Bool = true,
                                        slurm: [String: String] = ProcessInfo.processInfo.environment) throws -> Outcome {
        guard let job = slurm["SLURM_JOB_ID"], !job.isEmpty else {
            throw LaunchError("--slurm-requeue: this is not a Slurm job (SLURM_JOB_ID is unset)")
        }
        if let signal, signal == SIGTERM || signal == SIGINT {
            return report(.notRequeued(job: job, reason: "stopped by \(signal == SIGTERM ? "SIGTERM (scancel)" : "SIGINT"), the job ends here; "
                                       + "submit its script again to resume"))
        }
        guard progressed else {
            return report(.notRequeued(job: job, reason: "this run saved no checkpoint past the one it resumed from, and a requeue "
                                       + "would only repeat it: give the job a longer time limit, then submit its script again"))
        }
        guard let scontrol = ExecutableSearch.find("scontrol") else {
            return report(.notRequeued(job: job, reason: "scontrol is not on PATH"))
        }
        let (shown, description) = try MPILauncher.capture(
            LaunchCommand(executable: scontrol, arguments: ["show", "job", job, "--oneliner"], environment: [:]))
        guard shown == 0, let state = jobState(in: description) else {
            return report(.notRequeued(job: job, reason: "`scontrol show job \(job)` did not say the job's state"))
        }
        if ending.contains(state) { return report(.notRequeued(job: job, reason: "it is \(state)")) }
        // Said before: Slurm may end this process the moment the requeue takes effect.
        Log.logger.notice("requeueing Slurm job \(job): it resumes from this checkpoint when it runs again")
        let (status, _) = try MPILauncher.capture(
            LaunchCommand(executable: scontrol, arguments: ["requeue", "Incomplete", job], environment: [:]))
        return report(status == 0 ? .requeued(job: job) : .notRequeued(job: job, reason: "scontrol requeue Incomplete \(job) exited \(status)"))
    }

    private static func report(_ outcome: Outcome) -> Outcome {
        switch outcome {
        case .requeued:
            break   // announced before the requeue
        case .notRequeued(let job, let reason):
            Log.logger.notice("Slurm job \(job) not requeued: \(reason)")
        }
        return outcome
    }
}
