// SlurmScriptTests: the script `ringtrain sbatch` writes, run by bash as Slurm's batch shell would
// run it (no Slurm here): USR1 to the shell, which has become ringtrain, saves and exits 3, and the
// script run again — a requeue — resumes to the model an uninterrupted run ends with.
import Foundation
import Testing

@Suite(.serialized)
struct SlurmScriptTests {
    @Test("USR1 to the batch shell checkpoints and exits 3; the requeued script resumes to a byte-identical model")
    func preemptedAndRequeued() throws {
        let tiny = try TinyRun(epochs: 6, job: "  checkpoint: {every_steps: 4, keep_last: 2}")
        let straight = try tiny.train("straight")
        try #require(straight.status == 0, "\(straight.output)")
        let script = tiny.dir + "/job.sbatch"
        let written = try TinyRun.ringtrain(["sbatch", tiny.config, "--run-dir", tiny.dir + "/run", "--write", script])
        try #require(written.status == 0, "\(written.output)")

        func batchShell(environment: [String: String] = [:]) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [script]
            process.environment = ProcessInfo.processInfo.environment.merging(TrainingFixtures.environment) { $1 }
                .merging(environment) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let first = try batchShell(environment: ["RINGTRAIN_TEST_STEP_DELAY": "0.05"])
        let deadline = Date().addingTimeInterval(60)
        while tiny.latest("run") == nil && first.isRunning && Date() < deadline { usleep(20_000) }
        try #require(first.isRunning, "the job ended before it could be preempted")
        kill(first.processIdentifier, SIGUSR1)   // what `scancel --signal=USR1 --full` and the @60 warning send
        first.waitUntilExit()
        #expect(first.terminationStatus == 3)

        let requeued = try batchShell()
        requeued.waitUntilExit()
        #expect(requeued.terminationStatus == 0)
        #expect(try tiny.finalModel("run") == tiny.finalModel("straight"))
        #expect(try RestartTests.metrics(tiny, "run") == RestartTests.metrics(tiny, "straight"))
    }
}
