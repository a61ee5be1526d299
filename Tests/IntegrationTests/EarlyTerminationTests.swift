// EarlyTerminationTests: real sweeps whose trials are judged at their rungs — a program printing
// NaN, ±Infinity, null or no metric, a training trial whose learning rate diverges, and a sweep varying job.epochs.
import Foundation
import Testing

@Suite(.serialized)
struct EarlyTerminationTests {
    /// A program objective: with --x below 0.5 a finite score per epoch, otherwise the score
    /// `--bad` spells (`missing`: none; `split`: a good score on a second line of each epoch,
    /// after one without it) on each of 4 progress lines; then a final line.
    static let objective = """
        #!/usr/bin/env python3
        import sys, time
        args = dict(a.lstrip("-").split("=", 1) for a in sys.argv[1:])
        x, bad = float(args["x"]), args["bad"]
        for epoch in range(1, 5):
            time.sleep(0.3)
            if x < 0.5:
                print('{"epoch": %d, "score": %r}' % (epoch, x + 1.0 / epoch), flush=True)
            elif bad == "missing":
                print('{"epoch": %d, "other": 1}' % epoch, flush=True)
            elif bad == "split":
                print('{"epoch": %d, "loss": 1}' % epoch, flush=True)
                print('{"epoch": %d, "score": %r}' % (epoch, 1.0 / (epoch + 10)), flush=True)
            else:
                print('{"epoch": %d, "score": %s}' % (epoch, bad), flush=True)
        print('{"score": %r}' % x if x < 0.5 else '{"score": 0.01}' if bad == "split" else '{"score": NaN}', flush=True)
        """

    struct Case: Sendable, CustomTestStringConvertible {
        let bad: String
        let goal: String
        var testDescription: String { "\(bad) while the goal is to \(goal)" }
    }

    /// Runs a grid sweep of the objective over x ∈ {0.1, 0.9} with `bad` and the goal, judged by
    /// successive halving from epoch 1; returns its folder and the command's result.
    static func programSweep(bad: String, goal: String, maxRetries: Int) throws -> (dir: String, result: ProcessResult) {
        let dir = try TrainingFixtures.temporaryDirectory()
        let program = dir + "/objective.py"
        try ExecutableFile.write(objective, to: program)
        try """
        sweep:
          method: grid
          program: \(program)
          metric: {name: score, goal: \(goal)}
          parameters:
            x: {values: [0.1, 0.9]}
            bad: {value: "\(bad)"}
          early_terminate: {type: hyperband, min_iter: 1, eta: 2}
          parallel: 1
          max_retries: \(maxRetries)
        """.write(toFile: dir + "/sweep.yaml", atomically: false, encoding: .utf8)
        return (dir, try SweepTests.ringtrain(["sweep", dir + "/sweep.yaml", "--run-dir", dir + "/run"]))
    }

    /// Trial 1 (finite) and trial 2 (not finite) in that order; trial 2 must stop at its first rung.
    @Test("a program trial whose metric is NaN, infinite, null or missing is stopped at its first rung",
          arguments: [Case(bad: "NaN", goal: "minimize"), Case(bad: "-Infinity", goal: "minimize"),
                      Case(bad: "Infinity", goal: "maximize"), Case(bad: "null", goal: "minimize"),
                      Case(bad: "missing", goal: "maximize")])
    func nonFiniteProgramMetricIsStoppedAtARung(_ c: Case) throws {
        let (dir, result) = try Self.programSweep(bad: c.bad, goal: c.goal, maxRetries: 1)
        #expect(result.status == 0, "\(result.output)")
        let report = try SweepTests.report(dir + "/run")
        let trials = try #require(report["trials"] as? [[String: Any]])
        #expect(trials.map { $0["status"] as? String } == ["finished", "stopped"], "\(result.output)")
        #expect((trials.last?["epochs"] as? Int ?? 9) < 4 && trials.last?["attempts"] as? Int == 1, "\(trials)")
        #expect(result.output.contains("[trial 2] stopping early after epoch 1 (successive halving"), "\(result.output)")
        #expect((report["best"] as? [String: Any])?["id"] as? Int == 1, "\(report["best"] ?? "no best")")
    }

    /// An epoch reported over two lines, the metric on the second: judged on the metric, not taken
    /// for a missing one at the first line (this trial is the better one and runs to its end).
    @Test func aMetricOnALaterLineOfTheEpochIsJudgedNotTheFirstLine() throws {
        let (dir, result) = try Self.programSweep(bad: "split", goal: "minimize", maxRetries: 0)
        #expect(result.status == 0, "\(result.output)")
        let trials = try #require(try SweepTests.report(dir + "/run")["trials"] as? [[String: Any]])
        #expect(trials.map { $0["status"] as? String } == ["finished", "finished"], "\(result.output)")
        #expect(!result.output.contains("stopping early"), "\(result.output)")
    }

    /// `tiny` with a sweep section added: a grid over `parameters`, val_loss minimised, rungs
    /// at epochs 1, 2, 4, … (eta 2), one trial at a time.
    static func trainingSweep(_ tiny: TinyRun, parameters: String) throws -> ProcessResult {
        let text = try String(contentsOfFile: tiny.config, encoding: .utf8) + """

            sweep:
              method: grid
              metric: {name: val_loss, goal: minimize}
              parameters:
            \(parameters)
              early_terminate: {type: hyperband, min_iter: 1, eta: 2}
              parallel: 1
              max_retries: 1

            """
        try text.write(toFile: tiny.config, atomically: false, encoding: .utf8)
        return try TinyRun.ringtrain(["sweep", tiny.config, "--run-dir", tiny.dir + "/sweep"], timeout: 300)
    }

    /// With `on_nonfinite: continue` a diverging trial (50 steps an epoch) trains on, writing
    /// `null` for its validation loss: that is the worst value at its first rung, so it stops there.
    @Test func aTrainingTrialWhoseLossDivergesIsStoppedAtItsFirstRung() throws {
        let tiny = try TinyRun(epochs: 4, job: "  on_nonfinite: continue\n  checkpoint: {every_steps: 0, keep_last: 1}")
        let result = try Self.trainingSweep(tiny, parameters: "    optimizer.lr: {values: [0.05, 100]}\n    batch_size: {value: 4}")
        #expect(result.status == 0, "\(result.output)")
        let trials = try #require(try SweepTests.report(tiny.dir + "/sweep")["trials"] as? [[String: Any]])
        #expect(trials.map { $0["status"] as? String } == ["finished", "stopped"], "\(result.output)")
        // Decided at epoch 1; a run this small may end before the stop reaches it.
        #expect(trials.last?["attempts"] as? Int == 1 && trials.last?["metric"] is NSNull, "\(trials)")
        #expect(result.output.contains("[trial 2] stopping early after epoch 1 (successive halving, no val_loss reported)"), "\(result.output)")
    }

    struct Budget: Sendable, CustomTestStringConvertible {
        /// The base job's budget line, the swept parameter, and the first rung's console words.
        let base: String
        let parameter: String
        let rung: String
        let unit: String
        var testDescription: String { parameter }
    }

    /// The base job trains 1 epoch (or 1 evaluation of 10 steps), so its own last report is no
    /// rung; the sweep's trials train 3, compared at the 1st and 2nd (their own budget, not the base's).
    @Test("rungs follow the trial's own budget when the sweep varies job.epochs or job.steps",
          arguments: [Budget(base: "epochs: 1", parameter: "epochs: {values: [3]}", rung: "epoch 1", unit: "epochs"),
                      Budget(base: "steps: 10\n  eval_every: 10", parameter: "steps: {values: [30]}", rung: "evaluation 1 (step 10)",
                             unit: "evaluations")])
    func rungsFollowTheTrialsOwnBudget(_ b: Budget) throws {
        let tiny = try TinyRun(epochs: 1, job: "  checkpoint: {every_steps: 0, keep_last: 1}")
        let text = try String(contentsOfFile: tiny.config, encoding: .utf8).replacingOccurrences(of: "epochs: 1", with: b.base)
        try text.write(toFile: tiny.config, atomically: false, encoding: .utf8)
        let result = try Self.trainingSweep(tiny, parameters: "    \(b.parameter)\n    optimizer.lr: {values: [0.05, 0.001]}")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("[trial 2] stopping early after \(b.rung) (successive halving)"), "\(result.output)")
        let trials = try #require(try SweepTests.report(tiny.dir + "/sweep")["trials"] as? [[String: Any]])
        #expect(trials.first?["status"] as? String == "finished" && trials.first?[b.unit] as? Int == 3, "\(trials)")
        // A run this small may reach its end (and so finish) before the stop reaches it.
        #expect(["stopped", "finished"].contains(trials.last?["status"] as? String ?? "?"), "\(trials)")
    }
}
