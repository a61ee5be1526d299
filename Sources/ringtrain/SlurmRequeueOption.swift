// SlurmRequeueOption: `--slurm-requeue` of train, resume and sweep — inside a Slurm batch job, a run
// that stops with a checkpoint (exit 3) puts its job back in the queue, to resume when it runs again.
import ArgumentParser
import Coordinator
import Foundation
import Worker

struct SlurmRequeueOption: ParsableArguments {
    @Flag(help: "In a Slurm batch job: when the run stops with a checkpoint (exit 3: the time-limit warning, a preemption, scancel --signal=USR1), requeue the job (scontrol requeue) unless it is being cancelled or made no progress, so it resumes when it runs again. The scripts `ringtrain sbatch` writes use it.")
    var slurmRequeue = false

    func validate() throws {
        if slurmRequeue && ProcessInfo.processInfo.environment["SLURM_JOB_ID"] == nil {
            throw ValidationError("--slurm-requeue is for Slurm batch jobs, and this is not one (SLURM_JOB_ID is unset)")
        }
    }

    /// Call before the run starts. A second USR1 (a preemption after the warning, a repeated
    /// `scancel --signal=USR1`) that arrives once the run has stopped must not end this process
    /// before it requeues the job: USR1 gets a handler that does nothing, which the run's own
    /// stop handling replaces while it runs and puts back when it ends.
    func prepare() {
        guard slurmRequeue else { return }
        signal(SIGUSR1) { _ in }
    }

    /// Refuses a run that stops by itself (`job.stop_after`, `--stop-after`) in a job that
    /// requeues itself: its exit 3 would requeue the job, and the requeued `resume` trains to the end.
    static func checkStopAfter(_ job: TrainingJob, requeue: Bool, file: String) throws {
        guard requeue, job.stopAfter != nil else { return }
        throw ConfigError(file: file, keyPath: "job.stop_after",
                          message: "a run that stops after \(job.stopAfter!) epoch(s) does not go with --slurm-requeue: its stop would requeue the job, which then trains to the end",
                          hint: "drop --stop-after (job.stop_after), or run without --slurm-requeue")
    }

    /// Ends the command with `status` (0 returns), first requeueing the job when asked and the
    /// run stopped; `progressed` says whether it saved a checkpoint past the one it resumed from.
    func finish(_ status: Int32, progressed: Bool = true) throws {
        if status == 3 && slurmRequeue { try SlurmRequeue.requeueAfterStop(signal: ReceivedStopSignal.first, progressed: progressed) }
        if status != 0 { throw ExitCode(status) }
    }
}
