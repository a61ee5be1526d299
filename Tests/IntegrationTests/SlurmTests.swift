// SlurmTests: ringtrain under a real one-node Slurm (scripts/testslurm): training inside an
// allocation with srun, a sweep whose trials are job steps, a batch script from `ringtrain sbatch`
// preempted with USR1 and requeued to a byte-identical model, and a job cancelled outright.
import Foundation
import Testing

@Suite(.serialized, .enabled(if: TestSlurm.available, "Slurm is not installed or not root (scripts/setup installs slurm-wlm and munge)"))
struct SlurmTests {
    /// A tiny 2-rank job (6 epochs of 10 steps, a checkpoint every 4) and its uninterrupted run
    /// under mpirun, `straight`, which every run under Slurm must end like; made once.
    static let reference: Result<TinyRun, any Error> = Result {
        let tiny = try TinyRun(epochs: 6, job: "  checkpoint: {every_steps: 4, keep_last: 2}\n  ranks: 2")
        let straight = try tiny.train("straight")
        guard straight.status == 0 else { throw TestSlurmError("the reference run failed: \(straight.output)") }
        return tiny
    }

    /// The model and metrics of `run` equal those of the straight run.
    static func expectSameAsStraight(_ tiny: TinyRun, _ run: String) throws {
        #expect(try tiny.finalModel(run) == tiny.finalModel("straight"), "\(run) ended in another model")
        #expect(try RestartTests.metrics(tiny, run) == RestartTests.metrics(tiny, "straight"))
    }

    @Test("salloc: train launches its 2 ranks as one srun job step and ends in the model mpirun's ranks end in")
    func trainInsideAllocation() throws {
        let tiny = try Self.reference.get()
        let slurm = try TestSlurm.up()
        defer { slurm.down() }
        let binary = try #require(BuiltBinary.ringtrain)
        let result = try slurm.client("salloc", ["-n", "2", "-J", "tiny", binary, "train", tiny.config, "--run-dir", tiny.dir + "/allocated",
                                                 "--set", "cluster.launcher=slurm"])
        try #require(result.status == 0, "\(result.output)")
        let granted = try #require(result.stderr.firstMatch(of: /Granted job allocation (\d+)/).flatMap { Int($0.1) }, "\(result.output)")
        #expect(slurm.stepsLaunched(job: granted) == ["\(granted).0"])
        try Self.expectSameAsStraight(tiny, "allocated")
    }

    @Test("salloc: a sweep's 2-rank training trials run as job steps of the allocation")
    func sweepInsideAllocation() throws {
        let tiny = try Self.reference.get()
        let config = tiny.dir + "/sweep.yaml"
        try (String(contentsOfFile: tiny.config, encoding: .utf8) + """

        sweep:
          method: grid
          metric: {name: val_acc, goal: maximize}
          parameters:
            optimizer.lr: {values: [0.05, 0.1]}

        """).write(toFile: config, atomically: false, encoding: .utf8)
        let slurm = try TestSlurm.up()
        defer { slurm.down() }
        let binary = try #require(BuiltBinary.ringtrain)
        let result = try slurm.client("salloc", ["-n", "2", binary, "sweep", config, "--run-dir", tiny.dir + "/sweep",
                                                 "--set", "cluster.launcher=slurm", "--set", "job.epochs=2"])
        try #require(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("sweep done: 2 finished, 0 stopped early, 0 failed"), "\(result.output)")
        let granted = try #require(result.stderr.firstMatch(of: /Granted job allocation (\d+)/).flatMap { Int($0.1) }, "\(result.output)")
        #expect(slurm.stepsLaunched(job: granted) == ["\(granted).0", "\(granted).1"], "one step per trial")
    }

    /// Writes `ringtrain sbatch` of the tiny config for run folder `run` into `job.sbatch`.
    static func batchScript(_ tiny: TinyRun, run: String, extra: [String] = []) throws -> String {
        let script = tiny.dir + "/\(run).sbatch"
        let written = try TinyRun.ringtrain(["sbatch", tiny.config, "--run-dir", tiny.dir + "/" + run, "--write", script] + extra)
        try #require(written.status == 0, "\(written.output)")
        return script
    }

    /// Waits until `run` has a checkpoint while job `id` runs.
    static func waitForCheckpoint(_ tiny: TinyRun, _ run: String, job id: Int, slurm: TestSlurm) throws {
        let deadline = Date().addingTimeInterval(90)
        while tiny.latest(run) == nil && Date() < deadline {
            if let job = try slurm.job(id), !["PENDING", "CONFIGURING", "RUNNING"].contains(job.state) {
                Issue.record("job \(id) ended (\(job.state)) before its first checkpoint: \(log(tiny, run, job: id))")
                return
            }
            usleep(50_000)
        }
        try #require(tiny.latest(run) != nil, "no checkpoint after 90 s: \(log(tiny, run, job: id))")
    }

    /// The job's log, `RUN/slurm-ID.out`.
    static func log(_ tiny: TinyRun, _ run: String, job id: Int) -> String {
        (try? String(contentsOfFile: "\(tiny.dir)/\(run)/slurm-\(id).out", encoding: .utf8)) ?? "(no slurm-\(id).out)"
    }

    @Test("sbatch: scancel --signal=USR1 --full checkpoints and exits 3; scontrol requeue resumes to a byte-identical model")
    func preemptedAndRequeued() throws {
        let tiny = try Self.reference.get()
        let slurm = try TestSlurm.up()
        defer { slurm.down() }
        let script = try Self.batchScript(tiny, run: "preempted")
        let mark = UUID().uuidString
        let id = try slurm.submit(script, environment: RestartTests.slow, mark: mark)
        try Self.waitForCheckpoint(tiny, "preempted", job: id, slurm: slurm)
        let signalled = try slurm.client("scancel", ["--signal=USR1", "--full", "\(id)"], timeout: 30)
        try #require(signalled.status == 0, "\(signalled.output)")
        let stopped = try slurm.waitWhile(id, in: ["RUNNING", "COMPLETING"])
        #expect(stopped.state == "FAILED" && stopped.exitCode == "3:0", "\(stopped); \(Self.log(tiny, "preempted", job: id))")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "ranks outlived the stopped job")
        let saved = try #require(tiny.latest("preempted"))
        #expect(!saved.isEmpty)

        let requeue = try slurm.client("scontrol", ["requeue", "\(id)"], timeout: 30)
        try #require(requeue.status == 0, "\(requeue.output)")
        let done = try slurm.waitWhile(id, in: ["PENDING", "REQUEUED", "REQUEUE_HOLD", "CONFIGURING", "RUNNING", "COMPLETING", "FAILED"],
                                       timeout: 180)
        #expect(done.state == "COMPLETED" && done.exitCode == "0:0" && done.restarts == 1, "\(done); \(Self.log(tiny, "preempted", job: id))")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty)
        try Self.expectSameAsStraight(tiny, "preempted")
        // One log, appended to by both attempts.
        let log = Self.log(tiny, "preempted", job: id)
        #expect(log.contains("Slurm job \(id), restart count 0") && log.contains("Slurm job \(id), restart count 1"), "\(log)")
    }

    @Test("sbatch: a job cancelled outright leaves no process behind and a folder the resubmitted script resumes")
    func cancelledOutright() throws {
        let tiny = try Self.reference.get()
        let slurm = try TestSlurm.up()
        defer { slurm.down() }
        let script = try Self.batchScript(tiny, run: "cancelled")
        let mark = UUID().uuidString
        let id = try slurm.submit(script, environment: RestartTests.slow, mark: mark)
        try Self.waitForCheckpoint(tiny, "cancelled", job: id, slurm: slurm)
        let cancelled = try slurm.client("scancel", ["\(id)"], timeout: 30)
        try #require(cancelled.status == 0, "\(cancelled.output)")
        let ended = try slurm.waitWhile(id, in: ["RUNNING", "COMPLETING"])
        #expect(ended.state == "CANCELLED", "\(ended)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "processes outlived the cancelled job")

        let again = try slurm.submit(script, mark: mark)
        let done = try slurm.waitWhile(again, in: ["PENDING", "CONFIGURING", "RUNNING", "COMPLETING"], timeout: 180)
        #expect(done.state == "COMPLETED" && done.exitCode == "0:0", "\(done); \(Self.log(tiny, "cancelled", job: again))")
        #expect(Self.log(tiny, "cancelled", job: again).contains("resum"), "the second job did not resume")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty)
        try Self.expectSameAsStraight(tiny, "cancelled")
    }

    @Test("sbatch --time 2: the USR1 warning 60 s before the limit checkpoints and exits 3; the run resumes to a byte-identical model",
          .timeLimit(.minutes(5)))
    func timeLimitWarning() throws {
        let tiny = try Self.reference.get()
        let slurm = try TestSlurm.up()
        defer { slurm.down() }
        let script = try Self.batchScript(tiny, run: "warned", extra: ["--time", "2"])
        let mark = UUID().uuidString
        // 60 steps of 2 s: the run would need twice the time limit; the warning comes 60 to 90 s in.
        let id = try slurm.submit(script, environment: ["RINGTRAIN_TEST_STEP_DELAY": "2"], mark: mark)
        let ended = try slurm.waitWhile(id, in: ["PENDING", "CONFIGURING", "RUNNING", "COMPLETING"], timeout: 200)
        #expect(ended.state == "FAILED" && ended.exitCode == "3:0", "not stopped by the warning: \(ended); \(Self.log(tiny, "warned", job: id))")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "ranks outlived the stopped job")
        let saved = try #require(tiny.latest("warned"), "no checkpoint: \(Self.log(tiny, "warned", job: id))")
        let step = try #require(Int(saved.dropFirst("step-".count)), "\(saved)")
        #expect(step > 4 && step < 60, "the run did not stop part-way (\(saved))")

        // Resumed in an allocation at full speed, it ends as the uninterrupted run did.
        let binary = try #require(BuiltBinary.ringtrain)
        let resumed = try slurm.client("salloc", ["-n", "2", binary, "resume", tiny.dir + "/warned"])
        try #require(resumed.status == 0, "\(resumed.output)")
        try Self.expectSameAsStraight(tiny, "warned")
    }
}
