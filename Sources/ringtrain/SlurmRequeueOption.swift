// SlurmRequeueOption: `--slurm-requeue` of train, resume and sweep — inside a Slurm batch job, a run
// that stops with a checkpoint (exit 3) puts its job back in the queue, to resume when it runs again.
import ArgumentParser
import Coordinator
import Foundation

struct SlurmRequeueOption: ParsableArguments {
    @Flag(help: "In a Slurm batch job: when the run stops with a checkpoint (exit 3: the time-limit warning, a preemption, scancel --signal=USR1), requeue the job (scontrol requeue) unless it is being cancelled, so it resumes when it runs again. The scripts `ringtrain sbatch` writes use it.")
    var slurmRequeue = false

    func validate() throws {
        if slurmRequeue && ProcessInfo.processInfo.environment["SLURM_JOB_ID"] == nil {
            throw ValidationError("--slurm-requeue is for Slurm batch jobs, and this is not one (SLURM_JOB_ID is unset)")
        }
    }

    /// Ends the command with `status` (0 returns), requeueing the job first when asked and the run stopped.
    func finish(_ status: Int32) throws {
        if status == 3 && slurmRequeue { try SlurmRequeue.requeueAfterStop(signal: ReceivedStopSignal.first) }
        if status != 0 { throw ExitCode(status) }
    }
}
