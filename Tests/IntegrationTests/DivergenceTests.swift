// DivergenceTests: runs whose loss or weights blow up — stopped with exit 1 and a `diverged`
// metrics line on every rank at one step, the last finite checkpoint kept; `continue`; a bad value.
import Foundation
import Testing

@Suite(.serialized)
struct DivergenceTests {
    /// A learning rate that sends the tiny runs' weights to infinity within a few steps.
    static let blowUp = ["--set", "job.optimizer.lr=100"]
    static let batchNorm = "{layers: [{type: dense, units: 8}, {type: batch_norm}, {type: activation, function: relu}, {type: dense, units: 3}]}"

    static func lines(_ tiny: TinyRun, _ run: String) throws -> [[String: Any]] {
        TrainingFixtures.jsonLines(try String(contentsOfFile: "\(tiny.dir)/\(run)/metrics.jsonl", encoding: .utf8))
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let model: String?
        let ranks: Int
        var testDescription: String { "\(model == nil ? "MLP" : "batch norm"), \(ranks) rank(s)" }
    }

    @Test("a diverging run stops with exit 1 and a diverged line; the last finite checkpoint stays and evaluates",
          arguments: [Case(model: nil, ranks: 1), Case(model: nil, ranks: 2), Case(model: batchNorm, ranks: 1), Case(model: batchNorm, ranks: 2)])
    func divergedRunStops(_ c: Case) throws {
        // Batch norm tames the learning rate alone; features of 1e19 overflow its batch variance.
        let tiny = try TinyRun(job: "  checkpoint: {every_steps: 1, keep_last: 2}", outlier: c.model == nil ? nil : 1e19, model: c.model)
        let run = try tiny.train("run", Self.blowUp + ["--ranks", "\(c.ranks)"])
        #expect(run.status == 1, "\(run.output)")
        let diverged = try Self.lines(tiny, "run").filter { $0["event"] as? String == "diverged" }
        try #require(diverged.count == 1, "\(run.output)")
        let step = try #require(diverged[0]["step"] as? Int)
        let tensor = try #require(diverged[0]["tensor"] as? String)
        #expect(step < 30 && !run.output.contains("nan"), "\(run.output)")
        #expect(run.stderr.contains("not finite") && run.stderr.contains("step \(step)") && run.stderr.contains(tensor), "\(run.stderr)")
        // The newest checkpoint is the step before, and finite: evaluate reads it without a warning.
        if step > 1 {
            #expect(tiny.latest("run") == String(format: "step-%08d", step - 1))
            let evaluated = try TinyRun.ringtrain(["evaluate", tiny.dir + "/run"])
            #expect(evaluated.status == 0 && !evaluated.stderr.contains("not finite"), "\(evaluated.output)")
            // Resuming diverges again at the same step: exit 1, the line superseded, not doubled.
            let resumed = try TinyRun.ringtrain(["resume", tiny.dir + "/run"])
            #expect(resumed.status == 1 && resumed.stderr.contains("step \(step)"), "\(resumed.output)")
            let again = try Self.lines(tiny, "run").filter { $0["event"] as? String == "diverged" }
            #expect(again.count == 1 && again.first?["step"] as? Int == step && again.first?["tensor"] as? String == tensor)
        }
    }

    @Test func onNonfiniteContinueTrainsToTheEnd() throws {
        let tiny = try TinyRun(job: "  on_nonfinite: continue\n  checkpoint: {every_steps: 1, keep_last: 2}")
        let run = try tiny.train("run", Self.blowUp)
        #expect(run.status == 0, "\(run.output)")
        let lines = try Self.lines(tiny, "run")
        #expect(lines.filter { $0["event"] != nil }.isEmpty && lines.last?["final"] as? Bool == true, "\(lines)")
        #expect(run.stderr.components(separatedBy: "training continues (job.on_nonfinite: continue)").count == 2, "\(run.stderr)")
        #expect(try String(contentsOfFile: tiny.dir + "/run/resolved.yaml", encoding: .utf8).contains("on_nonfinite: continue"))
    }

    /// With `continue` a stop request still stops a run whose loss is no longer finite: the
    /// stop flag that travels with the gradients is not taken over by the non-finite loss.
    @Test func aStopStillStopsARunThatContinuesPastNonFiniteValues() throws {
        let tiny = try TinyRun(epochs: 20, job: "  on_nonfinite: continue\n  checkpoint: {every_steps: 1, keep_last: 2}")
        let config = tiny.config
        let result = try DataParallelTests.mpirun(2, ["worker", config, "--run-dir", tiny.dir + "/run"] + Self.blowUp
                                                  + ["--fail-rank", "1", "--fail-step", "150", "--fail-mode", "signal"], timeout: 120)
        #expect(!result.timedOut && result.status == 3, "a stop at step 150, long after the loss stopped being finite: \(result.output)")
        #expect(result.stdout.contains("stopped by a signal at step 151"), "\(result.output)")
    }

    @Test func anUnknownOnNonfiniteIsRefused() throws {
        let tiny = try TinyRun(job: "  on_nonfinite: maybe")
        let run = try tiny.train("run")
        #expect(run.status == 2, "\(run.output)")
        #expect(run.stderr.contains("on_nonfinite") && run.stderr.contains("stop, continue"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tiny.dir + "/run/metrics.jsonl"))
    }

    /// A sweep records a diverged trial as failed (reason diverged, shown in the report's table)
    /// and does not retry it.
    @Test func aSweepRecordsADivergedTrialAsFailedWithoutRetrying() throws {
        let tiny = try TinyRun(job: "  checkpoint: {every_steps: 0, keep_last: 1}")
        let text = try String(contentsOfFile: tiny.config, encoding: .utf8) + """

            sweep:
              method: grid
              metric: {name: val_loss, goal: minimize}
              parameters:
                optimizer.lr: {values: [0.05, 100]}
              parallel: 1
              max_retries: 2

            """
        try text.write(toFile: tiny.config, atomically: false, encoding: .utf8)
        let result = try TinyRun.ringtrain(["sweep", tiny.config, "--run-dir", tiny.dir + "/sweep"], timeout: 300)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("diverged (not retried)") && !result.output.contains("retrying"), "\(result.output)")
        let report = try TinyRun.ringtrain(["report", tiny.dir + "/sweep", "--format", "json", "--no-save"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let trials = try #require(object["trials"] as? [[String: Any]])
        #expect(trials.map { $0["status"] as? String } == ["finished", "failed"], "\(trials)")
        // Never the best, never retried, and shown as diverged.
        #expect((object["best"] as? [String: Any])?["id"] as? Int == 1 && trials.last?["attempts"] as? Int == 1, "\(object)")
        #expect(trials.last?["reason"] as? String == "diverged", "\(trials)")
        let table = try TinyRun.ringtrain(["report", tiny.dir + "/sweep", "--no-save"])
        #expect(table.stdout.contains("failed (diverged)"), "\(table.stdout)")
    }
}
