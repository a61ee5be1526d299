// StepBudgetTests: steps budgets through the real binary — metrics lines carrying `step`, every_steps
// checkpoints, N ranks matching one, exact resume, --trace-steps on training's batches, and sweeps.
import Foundation
import Testing
import Model

@Suite(.serialized)
struct StepBudgetTests {
    /// TinyRun's config budgeted in `steps` instead of epochs, validated every `evalEvery` steps.
    static let budget = ["--set", "job.epochs=null", "--set", "job.steps=25", "--set", "job.eval_every=10"]

    /// The JSON objects of a run's metrics.jsonl.
    static func metrics(_ runDirectory: String) throws -> [[String: Any]] {
        try String(contentsOfFile: runDirectory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test("a steps budget reports every eval_every steps and at the end, and saves every_steps", arguments: [1, 2])
    func reportsAndCheckpointsBySteps(ranks: Int) throws {
        let tiny = try TinyRun(job: "  checkpoint: {every_steps: 10, keep_last: 10}")
        let result = try tiny.train("run", Self.budget + ["--ranks", "\(ranks)", "--json"])
        #expect(result.status == 0, "\(result.output)")
        let lines = try Self.metrics(tiny.dir + "/run")
        #expect(lines.count == 4, "\(lines)")
        for (i, line) in lines.prefix(3).enumerated() {
            #expect(line["epoch"] == nil)
            #expect(line["evaluation"] as? Int == i + 1)
            #expect(line["step"] as? Int == [10, 20, 25][i])
            #expect(line["val_loss"] is Double && line["loss"] is Double && line["train_acc"] is Double, "\(line)")
        }
        let final = try #require(lines.last)
        #expect(final["final"] as? Bool == true && final["step"] as? Int == 25 && final["epochs"] == nil, "\(final)")
        #expect(final["test_acc"] is Double)
        let folders = try FileManager.default.contentsOfDirectory(atPath: tiny.dir + "/run/checkpoints").filter { $0.hasPrefix("step-") }
        #expect(Set(folders) == ["step-00000010", "step-00000020", "step-00000025"])
        // The printed lines are the file's lines.
        #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }.count == 4, "\(result.stdout)")
    }

    /// All parameters of the newest checkpoint of a run, in name order.
    static func parameters(_ tiny: TinyRun, _ run: String) throws -> [Float] {
        let name = try #require(tiny.latest(run))
        let tensors = try SafetensorsReader(path: "\(tiny.dir)/\(run)/checkpoints/\(name)/model.safetensors").readAll()
        return tensors.keys.sorted().flatMap { tensors[$0]! }
    }

    @Test("N ranks (with micro-steps) on a steps budget follow the 1-rank run's losses and parameters within 1e-5",
          arguments: [(2, 1), (3, 1), (2, 2)])
    func ranksMatchOneProcess(ranks: Int, accumulate: Int) throws {
        let tiny = try TinyRun(job: "  checkpoint: {every_steps: 0, keep_last: 1}")
        let shared = Self.budget + ["--set", "job.batch_size=24"]
        #expect(try tiny.train("one", shared).status == 0)
        let many = try tiny.train("many", shared + ["--ranks", "\(ranks)", "--set", "job.accumulate=\(accumulate)"])
        #expect(many.status == 0, "\(many.output)")
        #expect(many.stdout.contains("\(ranks) ranks"), "\(many.stdout)")
        let a = try Self.metrics(tiny.dir + "/one").compactMap { $0["loss"] as? Double }
        let b = try Self.metrics(tiny.dir + "/many").compactMap { $0["loss"] as? Double }
        #expect(a.count == 4 && b.count == 4)
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-5 * abs(x), "loss \(x) vs \(y)") }
        let p = try Self.parameters(tiny, "one"), q = try Self.parameters(tiny, "many")
        #expect(p.count == q.count && !p.isEmpty)
        let difference = zip(p, q).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        let norm = p.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(difference <= 1e-5 * norm, "‖Δθ‖/‖θ‖ = \(difference / norm)")
    }

    /// `--trace-steps` steps through the batches training draws: with `job.steps`, the step
    /// sampler's, so each traced loss is the loss a run validated every step reports at that step.
    @Test("--trace-steps on a steps budget takes the training run's batches, on 1 rank exactly and on 2 within 1e-5")
    func traceFollowsTheStepSampler() throws {
        let tiny = try TinyRun(job: "  accumulate: 2\n  checkpoint: {every_steps: 0, keep_last: 1}")
        let budget = ["--set", "job.epochs=null", "--set", "job.steps=12", "--set", "job.eval_every=1"]
        let trained = try tiny.train("run", budget)
        #expect(trained.status == 0, "\(trained.output)")
        let reported = try Self.metrics(tiny.dir + "/run").filter { $0["evaluation"] != nil }
        #expect(reported.compactMap { $0["step"] as? Int } == Array(1...12), "\(reported)")
        let losses = reported.compactMap { $0["loss"] as? Double }

        let single = try TinyRun.ringtrain(["worker", tiny.config, "--trace-steps", "12"] + budget)
        #expect(single.status == 0, "\(single.output)")
        let traced = TrainingFixtures.jsonLines(single.stdout)
        #expect(traced.compactMap { $0["step"] as? Int } == Array(1...12), "\(single.stdout)")
        #expect(traced.compactMap { $0["loss"] as? Double } == losses, "\(single.stdout)\n\(reported)")

        let two = try tiny.train("trace", budget + ["--ranks", "2", "--trace-steps", "12"])
        #expect(two.status == 0, "\(two.output)")
        let twoLosses = TrainingFixtures.jsonLines(two.stdout).compactMap { $0["loss"] as? Double }
        #expect(twoLosses.count == 12, "\(two.stdout)")
        for (a, b) in zip(losses, twoLosses) { #expect(abs(a - b) <= 1e-5 * abs(a), "loss \(a) vs \(b)") }
    }

    /// `--trace-steps` below 1 is a usage mistake (exit 2) naming the flag and its range, for
    /// `worker` and `train` alike, and nothing trains.
    @Test("--trace-steps 0 or negative is refused with exit 2 before anything trains",
          arguments: [(["worker"], "0"), (["worker"], "-3"), (["train"], "0")])
    func traceStepsBelowOneIsRefused(command: [String], steps: String) throws {
        let tiny = try TinyRun()
        let result = try TinyRun.ringtrain(command + [tiny.config, "--trace-steps=\(steps)"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("--trace-steps must be from 1 to the job's step budget (got \(steps))"), "\(result.output)")
        #expect(TrainingFixtures.jsonLines(result.stdout).isEmpty, "\(result.stdout)")
    }

    /// A trace longer than the job's budget is a usage mistake too (with `job.steps` refused
    /// before the data loads: StepTraceTests), and nothing trains.
    @Test("--trace-steps beyond a steps budget is refused with exit 2 naming the range")
    func traceStepsBeyondTheBudgetIsRefused() throws {
        let tiny = try TinyRun()
        let result = try TinyRun.ringtrain(["worker", tiny.config, "--trace-steps", "26"] + Self.budget)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("--trace-steps 26 is more than the job trains: 25 steps; give 1 to 25"), "\(result.output)")
        #expect(TrainingFixtures.jsonLines(result.stdout).isEmpty, "\(result.stdout)")
    }

    @Test("a steps run killed mid-way resumes from its every_steps checkpoint to a byte-identical model", arguments: [1, 2])
    func killedStepsRunResumesExactly(ranks: Int) throws {
        let tiny = try TinyRun(job: "  checkpoint: {every_steps: 10, keep_last: 3}")
        let straight = try tiny.train("straight", Self.budget + ["--ranks", "\(ranks)"])
        #expect(straight.status == 0, "\(straight.output)")
        #expect(straight.stdout.contains("step 25/25"), "\(straight.output)")

        let arguments = ["worker", tiny.config, "--run-dir", tiny.dir + "/killed", "--set", "job.ranks=\(ranks)"] + Self.budget
            + ["--fail-rank", "\(ranks - 1)", "--fail-step", "17", "--fail-mode", "kill"]
        let killed = ranks == 1 ? try TinyRun.ringtrain(arguments) : try DataParallelTests.mpirun(ranks, arguments)
        #expect(killed.status != 0, "\(killed.output)")
        #expect(tiny.latest("killed") == "step-00000010")

        let resumed = try TinyRun.ringtrain(["resume", tiny.dir + "/killed"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.stdout.contains("resumed from"), "\(resumed.output)")
        #expect(try tiny.finalModel("killed") == tiny.finalModel("straight"))
        let steps = try Self.metrics(tiny.dir + "/killed").compactMap { $0["evaluation"] == nil ? nil : $0["step"] as? Int }
        #expect(steps == [10, 20, 25], "one line per evaluation, none repeated")
    }

    @Test("a state.json whose step is beyond a steps budget is refused naming the field")
    func checkpointBeyondTheBudget() throws {
        let tiny = try TinyRun(job: "  checkpoint: {every_steps: 10, keep_last: 3}")
        #expect(try tiny.train("run", Self.budget).status == 0)
        // Every checkpoint (steps 10, 20, 25) is beyond 5 steps, so none verifies.
        let shorter = try TinyRun.ringtrain(["resume", tiny.dir + "/run", "--set", "job.steps=5"])
        #expect(shorter.status == 2, "\(shorter.output)")
        #expect(shorter.output.contains("global_step") && shorter.output.contains("raise job.steps"), "\(shorter.output)")
        let longer = try TinyRun.ringtrain(["resume", tiny.dir + "/run", "--set", "job.steps=30"])
        #expect(longer.status == 0, "\(longer.output)")
        #expect(try Self.metrics(tiny.dir + "/run").last?["step"] as? Int == 30)
    }

    @Test("a steps-budget sweep stops a poor trial at an evaluation rung")
    func sweepStopsByEvaluation() throws {
        let tiny = try TinyRun(job: "  checkpoint: {every_steps: 10, keep_last: 2}")
        var text = try String(contentsOfFile: tiny.config, encoding: .utf8)
        text = text.replacingOccurrences(of: "  epochs: 3\n", with: "  steps: 40\n  eval_every: 10\n") + """

            sweep:
              method: grid
              metric: {name: val_loss, goal: minimize}
              parameters:
                optimizer.lr: {values: [0.05, 0.00001, 0.00002]}
              parallel: 1
              early_terminate: {type: hyperband, min_iter: 1, eta: 2}

            """
        try text.write(toFile: tiny.config, atomically: false, encoding: .utf8)
        // Each checkpoint save pauses, so a trial is still running when the coordinator reads its line.
        let result = try TinyRun.ringtrain(["sweep", tiny.config, "--run-dir", tiny.dir + "/sweep"],
                                           environment: ["RINGTRAIN_TEST_SAVE_DELAY": "1"], timeout: 300)
        #expect(result.status == 0, "\(result.output)")
        let report = try TinyRun.ringtrain(["report", tiny.dir + "/sweep", "--format", "json", "--no-save"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let trials = try #require(object["trials"] as? [[String: Any]])
        #expect(trials.count == 3)
        let finished = trials.filter { $0["status"] as? String == "finished" }
        let stopped = trials.filter { $0["status"] as? String == "stopped" }
        #expect(finished.count == 1 && stopped.count == 2, "\(trials)\n\(result.stdout)")
        #expect(finished.first?["epochs"] as? Int == 4, "four evaluations: \(finished)")
        #expect(stopped.allSatisfy { ($0["epochs"] as? Int ?? 9) < 4 }, "stopped at an earlier rung: \(stopped)")
        #expect(result.stdout.contains("stopping early after evaluation"), "\(result.stdout)")
        #expect(result.stdout.contains("evaluation 1 (step 10): val_loss"), "\(result.stdout)")
        // The report counts evaluations and places each on the step it was taken at.
        #expect(finished.first?["evaluations"] as? Int == 4, "\(finished)")
        let curve = try #require(finished.first?["curve"] as? [[String: Any]])
        #expect(curve.map { $0["step"] as? Int } == [10, 20, 30, 40], "\(curve)")
        let table = try TinyRun.ringtrain(["report", tiny.dir + "/sweep", "--no-save"])
        let header = table.stdout.split(separator: "\n").first { $0.hasPrefix("rank") }
        #expect(table.status == 0 && header?.hasSuffix("evaluations  attempts") == true, "\(table.stdout)")
        // With --no-save the page goes to standard output and the run folder's report.html is left alone.
        let page = tiny.dir + "/sweep/report.html"
        let before = try? String(contentsOfFile: page, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: page)
        let html = try TinyRun.ringtrain(["report", tiny.dir + "/sweep", "--format", "html", "--no-save"])
        #expect(html.status == 0 && html.stdout.contains("<html") && !FileManager.default.fileExists(atPath: page), "\(html.output)")
        if let before { try before.write(toFile: page, atomically: true, encoding: .utf8) }
    }
}
