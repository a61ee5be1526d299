// ResumedMetricsTests: a resumed run's metrics.jsonl equals the uninterrupted run's line for line
// (time fields aside) — stops mid-epoch and between evaluations, an older checkpoint resumed, a finished run.
import Foundation
import Testing

@Suite(.serialized)
struct ResumedMetricsTests {
    /// metrics.jsonl of `run` as objects without the time and throughput fields.
    static func lines(_ tiny: TinyRun, _ run: String) throws -> [NSDictionary] {
        let text = try String(contentsOfFile: "\(tiny.dir)/\(run)/metrics.jsonl", encoding: .utf8)
        return TrainingFixtures.jsonLines(text).map { line in
            var line = line
            for field in ["seconds", "samples_per_s"] { line[field] = nil }
            return line as NSDictionary
        }
    }

    /// `ringtrain worker` on `ranks` ranks into `run`, the last rank asking to stop after `failStep`.
    static func stopped(_ tiny: TinyRun, _ run: String, ranks: Int, failStep: Int, _ extra: [String] = []) throws -> ProcessResult {
        let arguments = ["worker", tiny.config, "--set", "job.ranks=\(ranks)", "--run-dir", tiny.dir + "/" + run,
                         "--fail-rank", "\(ranks - 1)", "--fail-step", "\(failStep)", "--fail-mode", "signal"] + extra
        return ranks == 1 ? try TinyRun.ringtrain(arguments) : try DataParallelTests.mpirun(ranks, arguments)
    }

    /// Stops mid-epoch (with and without a checkpoint between the epoch's start and the stop) and
    /// at an epoch's last step; each resumed run writes exactly the uninterrupted run's lines.
    @Test("a resumed epochs run writes the uninterrupted run's metrics lines", arguments: [1, 2])
    func resumedEpochsRunWritesTheUninterruptedLines(ranks: Int) throws {
        let tiny = try TinyRun()
        let straight = try tiny.train("straight", ["--ranks", "\(ranks)"])
        try #require(straight.status == 0, "\(straight.output)")
        let expected = try Self.lines(tiny, "straight")
        #expect(expected.count == 4, "\(expected)")
        for failStep in [2, 14, 18, 25] {   // agreed one step later: steps 3, 15, 19 (after a save at 16), 26
            let run = "stop-\(failStep)"
            let stop = try Self.stopped(tiny, run, ranks: ranks, failStep: failStep)
            #expect(stop.status == 3, "\(stop.output)")
            let resumed = try TinyRun.ringtrain(["resume", tiny.dir + "/" + run])
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(try Self.lines(tiny, run) == expected, "stop after step \(failStep)")
            #expect(try tiny.finalModel(run) == tiny.finalModel("straight"))
        }
    }

    /// A steps budget: the window is the steps since the last evaluation.
    @Test("a resumed steps-budget run writes the uninterrupted run's metrics lines", arguments: [1, 2])
    func resumedStepsRunWritesTheUninterruptedLines(ranks: Int) throws {
        let tiny = try TinyRun(job: "  checkpoint: {every_steps: 4, keep_last: 2}\n  accumulate: 2")
        let budget = ["--set", "job.epochs=null", "--set", "job.steps=25", "--set", "job.eval_every=10"]
        let straight = try tiny.train("straight", ["--ranks", "\(ranks)"] + budget)
        try #require(straight.status == 0, "\(straight.output)")
        let expected = try Self.lines(tiny, "straight")
        #expect(expected.count == 4, "\(expected)")
        for failStep in [5, 13, 21] {
            let run = "stop-\(failStep)"
            let stop = try Self.stopped(tiny, run, ranks: ranks, failStep: failStep, budget)
            #expect(stop.status == 3, "\(stop.output)")
            let resumed = try TinyRun.ringtrain(["resume", tiny.dir + "/" + run])
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(try Self.lines(tiny, run) == expected, "stop after step \(failStep)")
        }
    }

    /// The newest checkpoint lost (as after a rank killed between a metrics line and its save):
    /// resume takes an older one and drops the lines past it, the final line too; each epoch is
    /// then written once, as the uninterrupted run wrote it.
    @Test func resumeFromAnOlderCheckpointSupersedesTheLinesPastIt() throws {
        let tiny = try TinyRun()
        let straight = try tiny.train("straight")
        try #require(straight.status == 0, "\(straight.output)")
        let expected = try Self.lines(tiny, "straight")
        let run = try tiny.train("run")
        try #require(run.status == 0, "\(run.output)")
        // keep_last 2 left step 28 and step 30; step 30 (epoch 3's line and the final line) goes.
        let checkpoints = tiny.dir + "/run/checkpoints"
        try FileManager.default.removeItem(atPath: checkpoints + "/step-00000030")
        try "step-00000028\n".write(toFile: checkpoints + "/latest", atomically: true, encoding: .utf8)
        let resumed = try TinyRun.ringtrain(["resume", tiny.dir + "/run"])
        #expect(resumed.status == 0 && resumed.stdout.contains("step-00000028"), "\(resumed.output)")
        let lines = try Self.lines(tiny, "run")
        #expect(lines == expected, "\(lines)")
        #expect(lines.filter { $0["final"] != nil }.count == 1)
    }

    @Test func resumingAFinishedRunSaysSoAndWritesNothing() throws {
        let tiny = try TinyRun()
        let done = try tiny.train("done")
        try #require(done.status == 0, "\(done.output)")
        let before = try String(contentsOfFile: tiny.dir + "/done/metrics.jsonl", encoding: .utf8)
        for _ in 0..<2 {
            let again = try TinyRun.ringtrain(["resume", tiny.dir + "/done"])
            #expect(again.status == 0, "\(again.output)")
            #expect(again.stdout.contains("the run is already finished at step 30; nothing to train"), "\(again.output)")
        }
        #expect(try String(contentsOfFile: tiny.dir + "/done/metrics.jsonl", encoding: .utf8) == before)
        #expect(tiny.latest("done") == "step-00000030")
        // Nor does a resume with another config rewrite the finished run's recorded config.
        let resolved = try String(contentsOfFile: tiny.dir + "/done/resolved.yaml", encoding: .utf8)
        let changed = try tiny.train("done", ["--resume", "--set", "job.optimizer.lr=0.5"])
        #expect(changed.status == 0 && changed.stdout.contains("already finished"), "\(changed.output)")
        #expect(try String(contentsOfFile: tiny.dir + "/done/resolved.yaml", encoding: .utf8) == resolved)
    }

    /// Stopped after the last save but before the final line: resume writes that line, as it was.
    @Test func resumingAFinishedRunWithoutItsFinalLineWritesIt() throws {
        let tiny = try TinyRun()
        let done = try tiny.train("done")
        try #require(done.status == 0, "\(done.output)")
        let expected = try Self.lines(tiny, "done")
        let path = tiny.dir + "/done/metrics.jsonl"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try (text.split(separator: "\n").dropLast().joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        let again = try TinyRun.ringtrain(["resume", tiny.dir + "/done"])
        #expect(again.status == 0 && !again.stdout.contains("already finished"), "\(again.output)")
        let lines = try Self.lines(tiny, "done")
        #expect(lines == expected, "\(lines)\n\(expected)")
    }
}
