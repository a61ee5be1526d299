// `ringtrain resume SWEEP_DIR` with options, through the real binary: options of training runs
// and --set keys other than sweep.run_cap are refused; a larger run_cap extends the same sweep.
import Foundation
import Testing

@Suite(.serialized)
struct SweepResumeOptionsTests {
    @Test func resumingASweepRefusesOptionsThatDoNotApplyAndExtendsItWithALargerRunCap() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = dir + "/random.yaml"
        try """
        cluster: {stop_grace_period: 2}
        sweep:
          program: \(SweepHarness.objective)
          method: random
          metric: {name: score, goal: minimize}
          parameters:
            x: {min: 0.0, max: 1.0}
          run_cap: 2
          max_retries: 0
          seed: 3
        """.write(toFile: config, atomically: false, encoding: .utf8)
        let mark = UUID().uuidString
        let ledger = ["LEDGER": dir + "/ledger"]
        let run = dir + "/run"
        #expect(try SweepHarness.run(["sweep", config, "--run-dir", run], mark: mark, environment: ledger).status == 0)

        for (arguments, says) in [(["--ranks", "2"], "--ranks"), (["--json"], "--json"), (["--set", "job.epochs=3"], "job.epochs"),
                                  (["--set", "nonsense=1"], "nonsense"), (["--set", "sweep.method=grid"], "sweep.method"),
                                  (["--set", "sweep.run_cap=1"], "can only be raised"), (["--set", "sweep.run_cap=zero"], "run_cap"),
                                  (["--set", "sweep.run_cap"], "needs a value")] {
            let result = try SweepHarness.run(["resume", run] + arguments, mark: mark, environment: ledger)
            #expect(result.status == 2 && result.stderr.contains(says), "\(arguments): \(result.output)")
        }
        func ledgerLines() -> Int {
            ((try? String(contentsOfFile: dir + "/ledger", encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        #expect(ledgerLines() == 2, "a refused resume runs nothing")

        let extended = try SweepHarness.run(["resume", run, "--set", "sweep.run_cap=3"], mark: mark, environment: ledger)
        #expect(extended.status == 0, "\(extended.output)")
        #expect(ledgerLines() == 3, "one more trial, the first two not again")
        // The same sweep: resumed, or run again from its config, it stays at 3 trials.
        #expect(try SweepHarness.run(["resume", run], mark: mark, environment: ledger).status == 0)
        let again = try SweepHarness.run(["sweep", config, "--run-dir", run], mark: mark, environment: ledger)
        #expect(again.status == 0, "\(again.output)")
        let trials = try #require(try SweepHarness.report(run, mark: mark)["trials"] as? [[String: Any]])
        #expect(trials.count == 3 && trials.allSatisfy { $0["status"] as? String == "finished" && $0["attempts"] as? Int == 1 }, "\(trials)")
        #expect(ledgerLines() == 3)
    }
}
