// TimedCheckpointTests: `checkpoint.every_seconds` on 2 real ranks — rank 0's decision travels in
// the gradient exchange, every rank saves after the same step, between epoch ends; the saves change
// neither the model nor metrics.jsonl, and a run killed after them resumes to a byte-identical model.
import Foundation
import Testing

@Suite(.serialized)
struct TimedCheckpointTests {
    /// Each step sleeps this long (`RINGTRAIN_TEST_STEP_DELAY`), so 7 steps take over a second:
    /// after any save, a time-based one is due by the 8th step, never as late as an epoch's end
    /// (10 steps), whatever the machine's speed.
    static let slow = ["RINGTRAIN_TEST_STEP_DELAY": "0.15"]
    static let policy = "  checkpoint: {every_seconds: 1, every_steps: 0, every_epoch: true, keep_last: 100}"

    /// `mpirun -np 2 ringtrain ARGUMENTS` with `environment` added.
    static func mpirun(_ arguments: [String], environment: [String: String]) throws -> ProcessResult {
        let mpirun = try #require(BuiltBinary.onPath("mpirun"), "mpirun not on PATH (scripts/setup installs it)")
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        var args = ["--oversubscribe", "-np", "2", "--bind-to", "none"]
        if ProcessInfo.processInfo.activeProcessorCount < 2 { args += ["--mca", "mpi_yield_when_idle", "1"] }
        return try ProcessRunner.run(mpirun, args + [binary] + arguments,
                                     environment: TrainingFixtures.environment.merging(environment) { $1 }, timeout: 120)
    }

    /// The steps of the checkpoint folders in `run`, ascending.
    static func checkpointSteps(_ tiny: TinyRun, _ run: String) throws -> [Int] {
        try FileManager.default.contentsOfDirectory(atPath: "\(tiny.dir)/\(run)/checkpoints")
            .filter { $0.hasPrefix("step-") }.compactMap { Int($0.dropFirst(5)) }.sorted()
    }

    /// The metrics lines of `run` without their timings: epoch, step and the figures.
    static func metrics(_ tiny: TinyRun, _ run: String) throws -> [String] {
        try String(contentsOfFile: "\(tiny.dir)/\(run)/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for timing in ["samples_per_s", "seconds", "time", "elapsed_s"] { object[timing] = nil }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }

    @Test("time-based saves on 2 ranks land between epoch ends and change neither the model nor the metrics")
    func timedSavesOnTwoRanks() throws {
        let tiny = try TinyRun(epochs: 4, job: Self.policy)   // 10 steps per epoch, 40 in all
        let straight = try tiny.train("straight", ["--ranks", "2", "--set", "job.checkpoint.every_seconds=0"])
        #expect(straight.status == 0, "\(straight.output)")
        #expect(try Self.checkpointSteps(tiny, "straight") == [10, 20, 30, 40])

        let timed = try tiny.train("timed", ["--ranks", "2"], environment: Self.slow)
        #expect(timed.status == 0, "\(timed.output)")
        let steps = try Self.checkpointSteps(tiny, "timed")
        for epoch in 0..<4 {
            let between = steps.filter { $0 > 10 * epoch && $0 < 10 * (epoch + 1) }
            #expect(!between.isEmpty, "a time-based checkpoint inside epoch \(epoch + 1): \(steps)")
        }
        #expect(Set(steps).isSuperset(of: [10, 20, 30, 40]), "\(steps)")
        for step in steps {
            let name = String(format: "step-%08d", step)
            let state = try Data(contentsOf: URL(fileURLWithPath: "\(tiny.dir)/timed/checkpoints/\(name)/state.json"))
            let object = try #require(try JSONSerialization.jsonObject(with: state) as? [String: Any])
            #expect(object["global_step"] as? Int == step, "\(name)/state.json")
        }
        #expect(try tiny.finalModel("timed") == tiny.finalModel("straight"), "time-based saves do not change training")
        #expect(try Self.metrics(tiny, "timed") == Self.metrics(tiny, "straight"), "no metrics line added by a save")
    }

    @Test("a 2-rank run killed after time-based saves resumes from one to a byte-identical model")
    func killedRunResumesFromATimedSave() throws {
        let tiny = try TinyRun(epochs: 4, job: Self.policy)
        let straight = try tiny.train("straight", ["--ranks", "2"])
        #expect(straight.status == 0, "\(straight.output)")

        let killed = try Self.mpirun(["worker", tiny.config, "--run-dir", tiny.dir + "/killed", "--set", "job.ranks=2",
                                      "--fail-rank", "1", "--fail-step", "19", "--fail-mode", "kill"], environment: Self.slow)
        #expect(killed.status != 0, "\(killed.output)")
        // After epoch 1's save at step 10, a time-based save is due by step 18; the rank is killed
        // after step 19 (saved, if that step saved): the newest checkpoint is a time-based one
        // inside epoch 2.
        let steps = try Self.checkpointSteps(tiny, "killed")
        #expect(steps.contains(10) && steps.contains { $0 < 10 }, "\(steps)")
        let latest = try #require(tiny.latest("killed"), "\(steps)")
        let resumedFrom = try #require(Int(latest.dropFirst(5)))
        #expect((11...19).contains(resumedFrom), "\(latest) of \(steps)")

        let resumed = try TinyRun.ringtrain(["resume", tiny.dir + "/killed"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.stdout.contains("resumed from"), "\(resumed.output)")
        #expect(try tiny.finalModel("killed") == tiny.finalModel("straight"))
        #expect(try Self.metrics(tiny, "killed") == Self.metrics(tiny, "straight"), "each epoch's line once")
    }
}
