// PausingHalvingTests: successive halving with `pause: true` on real training trials — a trial
// below the rung's cut is paused with its checkpoint, promoted when later trials put it among the
// best, and ends with the very model a straight run of its config gives; the coordinator killed at
// the pause, the pause's record and the promotion, then resumed, ends the same way.
import Foundation
import Testing
import Worker

@Suite(.serialized)
struct PausingHalvingTests {
    /// Four 1-rank trials, one at a time, of 6 epochs (10 steps each) with lr 0.05, 0.02, 0.001,
    /// 0.0001: the one rung is epoch 1 (eta 2, max_iter 2). Trial 1 leads there and runs on;
    /// 2, 3 and 4 are behind the best 1/2 when they reach it and pause; trial 4's value makes
    /// trial 2 second of four, inside the best 2, so it is promoted and runs to its end. Steps
    /// sleep 50 ms, so a pause lands seconds before a trial's end. `rates` and `checkpoint`
    /// replace the learning rates and the checkpoint policy.
    static func sweep(rates: String = "[0.05, 0.02, 0.001, 0.0001]", checkpoint: String = "{every_steps: 0, keep_last: 1}") throws -> TinyRun {
        let tiny = try TinyRun(epochs: 6, job: "  checkpoint: \(checkpoint)")
        try tiny.append("""
            sweep:
              method: grid
              metric: {name: val_loss, goal: minimize}
              parameters:
                optimizer.lr: {values: \(rates)}
              early_terminate: {type: hyperband, min_iter: 1, eta: 2, max_iter: 2, pause: true}
              parallel: 1

            """)
        return tiny
    }

    static let slowSteps = ["RINGTRAIN_TEST_STEP_DELAY": "0.05"]

    /// The trials of the report of `run`, by id.
    static func trials(_ run: String, mark: String) throws -> [Int: [String: Any]] {
        let list = try #require(try SweepHarness.report(run, mark: mark)["trials"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.map { ($0["id"] as? Int ?? 0, $0) })
    }

    /// The model trial `id`'s training ended with (the checkpoint `latest` names).
    static func model(_ tiny: TinyRun, sweep: String, trial id: Int) throws -> Data {
        try tiny.finalModel(sweep + String(format: "/trial-%04d", id))
    }

    @Test func aPausedTrialIsPromotedAndEndsWithTheModelOfAStraightRun() throws {
        let tiny = try Self.sweep()
        let mark = UUID().uuidString
        let result = try SweepHarness.run(["sweep", tiny.config, "--run-dir", tiny.dir + "/sweep"], mark: mark,
                                          environment: Self.slowSteps, timeout: 300)
        #expect(result.status == 0, "\(result.output)")
        let trials = try Self.trials(tiny.dir + "/sweep", mark: mark)
        #expect(trials[1]?["status"] as? String == "finished" && trials[1]?["promotions"] as? Int == 0, "\(trials)")
        #expect(trials[2]?["status"] as? String == "finished" && trials[2]?["promotions"] as? Int == 1
                && trials[2]?["attempts"] as? Int == 2 && trials[2]?["epochs"] as? Int == 6, "\(result.output)")
        for id in [3, 4] {
            #expect(trials[id]?["status"] as? String == "paused" && trials[id]?["paused_at"] as? Int == 1
                    && trials[id]?["attempts"] as? Int == 1, "\(trials[id] ?? [:])")
        }
        #expect(result.output.contains("[trial 2] pausing after epoch 1 (successive halving)"), "\(result.output)")
        #expect(result.output.contains("[trial 2] promoted: its val_loss"), "\(result.output)")
        #expect(result.output.contains("2 finished, 0 stopped early, 2 paused, 0 failed"), "\(result.output)")
        // The paused attempt stopped before its end (no line of epoch 6), and the promoted one
        // went on from its checkpoint (no line of epoch 1 again).
        let attempts = try String(contentsOfFile: tiny.dir + "/sweep/trial-0002/output.log", encoding: .utf8)
            .components(separatedBy: "trial attempt 2")
        #expect(attempts.count == 2 && attempts[0].contains("\"epoch\":1,") && !attempts[0].contains("\"epoch\":6,"), "\(attempts)")
        #expect(attempts.last?.contains("\"epoch\":1,") == false && attempts.last?.contains("\"epoch\":6,") == true, "\(attempts)")
        // Resumed where it paused, it ends with the model of its config trained in one go.
        let straight = try TinyRun.ringtrain(["train", tiny.dir + "/sweep/trial-0002/config.yaml", "--run-dir", tiny.dir + "/straight"])
        #expect(straight.status == 0, "\(straight.output)")
        #expect(try Self.model(tiny, sweep: "sweep", trial: 2) == (try tiny.finalModel("straight")))
        let text = try SweepHarness.run(["report", tiny.dir + "/sweep", "--no-save"], mark: mark)
        #expect(text.output.contains("finished, promoted 1×") && text.output.contains("paused at epoch 1"), "\(text.output)")
        #expect(text.output.contains("2 finished, 0 failed, 0 stopped, 0 interrupted, 2 paused"), "\(text.output)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "\(SweepHarness.leftovers(mark))")
    }

    /// A pause whose checkpoint is lost (the trial killed while saving it) does not hold: the
    /// attempt counts as interrupted, the next one reaches the rung again and pauses there.
    @Test func aPauseWithoutItsCheckpointIsNoPause() throws {
        let tiny = try Self.sweep(rates: "[0.05, 0.02]", checkpoint: "{every_steps: 0, every_epoch: false, at_end: false, keep_last: 1}")
        let mark = UUID().uuidString
        // Trial 1 never saves; the first save anywhere is trial 2's at its pause, and it dies there.
        let result = try SweepHarness.run(["sweep", tiny.config, "--run-dir", tiny.dir + "/sweep"], mark: mark,
                                          environment: Self.slowSteps.merging(["RINGTRAIN_CRASH_AT": "checkpoint:rename:1",
                                                                               "RINGTRAIN_CRASH_MARKER": tiny.dir + "/crashed"]) { $1 }, timeout: 300)
        #expect(result.status == 0 && FileManager.default.fileExists(atPath: tiny.dir + "/crashed"), "\(result.output)")
        let trials = try Self.trials(tiny.dir + "/sweep", mark: mark)
        #expect(trials[2]?["status"] as? String == "paused" && trials[2]?["attempts"] as? Int == 2, "\(result.output)")
        #expect(result.output.contains("[trial 2] interrupted") && tiny.latest("sweep/trial-0002") != nil, "\(result.output)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "\(SweepHarness.leftovers(mark))")
    }

    /// The coordinator killed where a pause is recorded (not yet signalled), where the paused
    /// attempt's end is recorded, and where a promotion is recorded (not yet started).
    @Test(arguments: ["pause-decided:1", "trial-concluded:2", "trial-promoted:1"])
    func aCoordinatorKilledAtAPauseOrAPromotionResumesToTheSameEnd(_ point: String) throws {
        let tiny = try Self.sweep()
        let mark = UUID().uuidString
        let run = tiny.dir + "/sweep"
        let marker = tiny.dir + "/crashed"
        var last = try SweepHarness.run(["sweep", tiny.config, "--run-dir", run], mark: mark,
                                        environment: Self.slowSteps.merging([CrashPoint.environmentVariable: "coordinator:" + point,
                                                                             CrashPoint.markerVariable: marker]) { $1 }, timeout: 300)
        #expect(FileManager.default.fileExists(atPath: marker) && last.status == CrashPoint.exitStatus, "\(point): \(last.output)")
        for _ in 0..<3 where last.status != 0 {
            last = try SweepHarness.run(["resume", run], mark: mark, environment: Self.slowSteps, timeout: 300)
        }
        #expect(last.status == 0, "\(point): \(last.output)")
        let trials = try Self.trials(run, mark: mark)
        #expect([1, 2].allSatisfy { trials[$0]?["status"] as? String == "finished" && trials[$0]?["epochs"] as? Int == 6 }, "\(point): \(trials)")
        #expect([3, 4].allSatisfy { trials[$0]?["status"] as? String == "paused" }, "\(point): \(trials)")
        // The pause recorded before the kill is carried out (the resumed coordinator signals it),
        // and the promotion follows: once.
        #expect(trials[2]?["promotions"] as? Int == 1 && trials[2]?["attempts"] as? Int == 2, "\(point): \(trials)")
        let straight = try TinyRun.ringtrain(["train", run + "/trial-0002/config.yaml", "--run-dir", tiny.dir + "/straight"])
        #expect(straight.status == 0, "\(straight.output)")
        #expect(try Self.model(tiny, sweep: "sweep", trial: 2) == (try tiny.finalModel("straight")), "\(point)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "\(point): \(SweepHarness.leftovers(mark))")
    }
}
