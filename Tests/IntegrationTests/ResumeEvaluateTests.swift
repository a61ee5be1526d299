// ResumeEvaluateTests: what resume and evaluate say — an optimizer whose tensors differ is
// refused unless --reset-optimizer; fp16 overflow skips steps alike and counts them; evaluate
// warns of non-finite weights and of a fallback; argument errors exit 2; scripts/test under CI.
import Foundation
import Testing

@Suite(.serialized)
struct ResumeEvaluateTests {
    static func finished(_ job: String = "  checkpoint: {every_steps: 0, keep_last: 2}") throws -> TinyRun {
        let tiny = try TinyRun(job: job)
        let done = try tiny.train("done")
        try #require(done.status == 0, "\(done.output)")
        return tiny
    }

    /// Checkpoints as written before state.sha256 and skipped_steps existed (format 1), and before
    /// the report window (format 2): they resume, with an empty window.
    @Test(arguments: [1, 2])
    func aCheckpointFromBeforeThisChangeStillResumes(format: Int) throws {
        let tiny = try Self.finished()
        let folder = tiny.dir + "/done/checkpoints/step-00000030"
        var state = try String(contentsOfFile: folder + "/state.json", encoding: .utf8)
        state = state.replacingOccurrences(of: "\"format_version\" : 3", with: "\"format_version\" : \(format)")
            .replacingOccurrences(of: "  \"report_window\" : \\{[^}]*\\},\n", with: "", options: .regularExpression)
        if format == 1 { state = state.replacingOccurrences(of: "  \"skipped_steps\" : 0,\n", with: "") }
        #expect(!state.contains("report_window") && state.contains("\"format_version\" : \(format)"), "\(state)")
        #expect(state.contains("skipped_steps") == (format == 2))
        try state.write(toFile: folder + "/state.json", atomically: false, encoding: .utf8)
        if format == 1 {
            try FileManager.default.removeItem(atPath: folder + "/state.sha256")
        } else {
            let sum = try ProcessRunner.run("/usr/bin/sha256sum", [folder + "/state.json"], timeout: 10)
            try (String(sum.stdout.prefix(64)) + "\n").write(toFile: folder + "/state.sha256", atomically: false, encoding: .utf8)
        }
        let resumed = try TinyRun.ringtrain(["resume", tiny.dir + "/done", "--set", "job.epochs=4"])
        #expect(resumed.status == 0 && resumed.stdout.contains("resumed from"), "\(resumed.output)")
        #expect(tiny.latest("done") == "step-00000040")
    }

    @Test func anOptimizerWithOtherTensorsIsRefusedUnlessReset() throws {
        let tiny = try Self.finished()
        let run = tiny.dir + "/done"
        let adam = ["resume", run, "--set", "job.optimizer.name=adam", "--set", "job.epochs=4"]
        let refused = try TinyRun.ringtrain(adam)
        #expect(refused.status == 2, "\(refused.output)")
        #expect(refused.stderr.contains("optimizer tensors [momentum]") && refused.stderr.contains("--reset-optimizer"), "\(refused.stderr)")
        let reset = try TinyRun.ringtrain(adam + ["--reset-optimizer"])
        #expect(reset.status == 0, "\(reset.output)")
        #expect(reset.stdout.contains("optimizer state reset (--reset-optimizer)"), "\(reset.stdout)")
        #expect(tiny.latest("done") == "step-00000040")
    }

    /// Both ways of averaging: the sharded update (each rank checks its shard, the ranks agree in
    /// one small sum) and one all-reduce (every rank holds the same average). 1024 hidden units
    /// make the gradients larger than the small-message exchange, which sends fp32.
    @Test(arguments: [true, false])
    func fp16OverflowSkipsTheStepOnEveryRankAndCountsIt(sharded: Bool) throws {
        let tiny = try TinyRun(job: "  gradient_compression: fp16\n  sharded_update: \(sharded)\n"
                                   + "  checkpoint: {every_steps: 0, keep_last: 1}", hidden: 1024, outlier: 1e8)
        let result = try tiny.train("run", ["--ranks", "2", "--json"])
        #expect(result.status == 0, "\(result.output)")
        let epochs = TrainingFixtures.jsonLines(result.stdout).filter { $0["epoch"] != nil }
        let skipped = try #require(epochs.last?["skipped_steps"] as? Int, "\(result.stdout)")
        #expect(skipped > 0 && skipped < 30, "\(skipped)")
        let state = try String(contentsOfFile: tiny.dir + "/run/checkpoints/step-00000030/state.json", encoding: .utf8)
        #expect(state.contains("\"skipped_steps\" : \(skipped)"), "\(state)")
        let evaluated = try TinyRun.ringtrain(["evaluate", tiny.dir + "/run"])
        #expect(evaluated.status == 0 && !evaluated.stderr.contains("not finite"), "\(evaluated.output)")
        // Step by step, the ranks' parameters stay bit-identical through the skipped steps.
        let traced = try tiny.train("trace", ["--ranks", "2", "--trace-steps", "30"])
        #expect(traced.status == 0, "\(traced.output)")
        #expect(TrainingFixtures.jsonLines(traced.stdout).count == 30, "\(traced.stdout)")
    }

    @Test func evaluateWarnsOfNonFiniteWeightsAndOfAFallback() throws {
        let tiny = try Self.finished()
        let folder = tiny.dir + "/done/checkpoints/step-00000030"
        // Every weight NaN, with the checksums made to match (as a diverged run would save them).
        var model = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/model.safetensors")))
        let headerEnd = 8 + model[0..<8].enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        for i in headerEnd..<model.count { model[i] = i % 4 == 3 ? 0x7f : 0xff }
        try Data(model).write(to: URL(fileURLWithPath: folder + "/model.safetensors"))
        let newHash = String(try ProcessRunner.run("/usr/bin/sha256sum", [folder + "/model.safetensors"], timeout: 10).stdout.prefix(64))
        var state = try String(contentsOfFile: folder + "/state.json", encoding: .utf8)
        let oldHash = try #require(state.range(of: "\"sha256\" : \"[0-9a-f]{64}\"", options: .regularExpression).map { state[$0] })
        state = state.replacingOccurrences(of: String(oldHash), with: "\"sha256\" : \"\(newHash)\"")
        try state.write(toFile: folder + "/state.json", atomically: false, encoding: .utf8)
        try tiny.editState("done", "step-00000030", field: "epoch", json: "3")   // re-signs state.json
        let nan = try TinyRun.ringtrain(["evaluate", tiny.dir + "/done"])
        #expect(nan.status == 0, "\(nan.output)")
        #expect(nan.stderr.contains("weights are not finite"), "\(nan.stderr)")

        try Data("broken".utf8).write(to: URL(fileURLWithPath: folder + "/optimizer.safetensors"))
        let fallback = try TinyRun.ringtrain(["evaluate", tiny.dir + "/done", "--json"])
        #expect(fallback.status == 0, "\(fallback.output)")
        #expect(fallback.stderr.contains("skipped checkpoint step-00000030") && fallback.stderr.contains("step-00000020"), "\(fallback.stderr)")
    }

    @Test func argumentErrorsExitWith2AndSayWhichArgument() throws {
        let tiny = try Self.finished()
        let zero = try tiny.train("zero", ["--ranks", "0"])
        #expect(zero.status == 2 && zero.stderr.contains("--ranks must be at least 1") && !zero.stderr.contains("job.ranks"), "\(zero.output)")
        let resumeZero = try TinyRun.ringtrain(["resume", tiny.dir + "/done", "--ranks", "0"])
        #expect(resumeZero.status == 2 && resumeZero.stderr.contains("--ranks"), "\(resumeZero.output)")
        // Named by the option, not by the job key it sets.
        for (command, arguments) in [("train", [tiny.config, "--stop-after", "0"]), ("train", [tiny.config, "--ranks", "100000"]),
                                     ("resume", [tiny.dir + "/done", "--stop-after", "2000000"])] {
            let refused = try TinyRun.ringtrain([command] + arguments)
            let option = arguments[1]
            #expect(refused.status == 2 && refused.stderr.contains("\(option) must be at least 1 and at most") && !refused.stderr.contains("--set job."),
                    "\(refused.output)")
        }
        let unknown = try TinyRun.ringtrain(["train", tiny.config, "--no-such-option"])
        #expect(unknown.status == 2, "\(unknown.output)")
        let missing = try TinyRun.ringtrain(["evaluate", tiny.dir + "/done", "--data", "/nonexistent.csv"])
        #expect(missing.status == 2 && missing.stderr.contains("/nonexistent.csv: --data: not found"), "\(missing.output)")
        for command in ["resume", "evaluate", "train"] {
            let help = try TinyRun.ringtrain([command, "--help"])
            #expect(help.status == 0 && help.stdout.contains("Exit codes"), "\(command): \(help.output)")
        }
    }

    @Test func skippedPrerequisitesFailUnderCI() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/skipped-tests").path
        let dir = try TrainingFixtures.temporaryDirectory()
        try """
        ✔ Test a() passed after 0.1 seconds.
        ➜ Suite TrainingCLITests skipped: "Fashion-MNIST not installed (scripts/setup installs it)"
        ➜ Test avx() skipped: "this CPU has no AVX"
        """.write(toFile: dir + "/output", atomically: true, encoding: .utf8)
        try "➜ Test avx() skipped: \"this CPU has no AVX\"\n".write(toFile: dir + "/cpu-only", atomically: true, encoding: .utf8)
        let ci = try ProcessRunner.run("/bin/bash", [script, dir + "/output"], environment: ["CI": "true"], timeout: 20)
        #expect(ci.status == 1 && ci.stderr.contains("TrainingCLITests") && !ci.stderr.contains("avx"), "\(ci.output)")
        let local = try ProcessRunner.run("/bin/bash", [script, dir + "/output"], environment: ["CI": "false"], timeout: 20)
        #expect(local.status == 0 && local.stdout.contains("1 test(s) skipped"), "\(local.output)")
        let cpu = try ProcessRunner.run("/bin/bash", [script, dir + "/cpu-only"], environment: ["CI": "true"], timeout: 20)
        #expect(cpu.status == 0, "\(cpu.output)")
    }
}
