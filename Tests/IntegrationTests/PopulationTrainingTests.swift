// PopulationTrainingTests: population-based training on real training trials — the same config
// and seed give the same lineage and byte-identical final models, the report's replay commands
// train the best model again to the same bytes, and a coordinator killed at each of its decision
// points, then resumed, ends with the lineage and models of an uninterrupted run.
import Foundation
import Testing
import Coordinator
import Worker

@Suite(.serialized)
struct PopulationTrainingTests {
    /// Four 1-rank members, two at a time, of 6 epochs (10 steps each) in generations of 2
    /// epochs: two decisions, each replacing the worst member by a copy of one of the best.
    static func sweep() throws -> TinyRun {
        let tiny = try TinyRun(epochs: 6, job: "  checkpoint: {every_steps: 0, keep_last: 1}")
        try tiny.append("""
            sweep:
              method: pbt
              metric: {name: val_loss, goal: minimize}
              population: 4
              interval: 2
              parameters:
                optimizer.lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
                optimizer.momentum: {values: [0.5, 0.9, 0.95]}
              parallel: 2
              seed: 3

            """)
        return tiny
    }

    /// What a finished population sweep in `run` holds: its lineage (from the report) and each
    /// member's final model.
    struct Outcome: Equatable {
        var lineage: String
        var models: [Int: Data]
    }

    static func outcome(_ tiny: TinyRun, run: String, mark: String) throws -> Outcome {
        let report = try SweepHarness.report(tiny.dir + "/" + run, mark: mark)
        let lineage = try #require(report["lineage"] as? [[String: Any]])
        let text = String(decoding: try JSONSerialization.data(withJSONObject: lineage, options: [.sortedKeys]), as: UTF8.self)
        var models: [Int: Data] = [:]
        for id in 1...4 { models[id] = try tiny.finalModel(run + String(format: "/trial-%04d", id)) }
        return Outcome(lineage: text, models: models)
    }

    @Test func theSameSeedGivesTheSameLineageAndModelsAndTheReplayTrainsTheBestAgain() throws {
        let tiny = try Self.sweep()
        let mark = UUID().uuidString
        var outcomes: [Outcome] = []
        for run in ["first", "second"] {
            let result = try SweepHarness.run(["sweep", tiny.config, "--run-dir", tiny.dir + "/" + run], mark: mark, timeout: 300)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("copies trial") && result.output.contains("4 finished"), "\(result.output)")
            outcomes.append(try Self.outcome(tiny, run: run, mark: mark))
        }
        #expect(outcomes[0] == outcomes[1])
        let report = try SweepHarness.report(tiny.dir + "/first", mark: mark)
        let lineage = try #require(report["lineage"] as? [[String: Any]])
        // 3 generations of 4 members; each decision copies one member.
        #expect(lineage.count == 12 && lineage.filter { !($0["source"] is NSNull) }.count == 2, "\(lineage)")
        // The replay: best.yaml and the commands, run as a user would, end with the best model's bytes.
        let best = try #require((report["best"] as? [String: Any])?["id"] as? Int)
        let yaml = try #require(report["best_config_yaml"] as? String)
        try yaml.write(toFile: tiny.dir + "/best.yaml", atomically: false, encoding: .utf8)
        let commands = try #require(report["replay"] as? [String])
        #expect(commands.count >= 2 && commands[0].hasPrefix("ringtrain train best.yaml --run-dir runs/pbt-replay --stop-after"), "\(commands)")
        for command in commands {
            let words = ShellWords.split(command).dropFirst()
            let result = try SweepHarness.run(Array(words).map { $0 == "best.yaml" ? tiny.dir + "/best.yaml" : $0.replacingOccurrences(of: "runs/", with: tiny.dir + "/runs/") },
                                              mark: mark)
            #expect([0, 3].contains(result.status), "\(command): \(result.output)")
        }
        #expect(try tiny.finalModel("runs/pbt-replay") == outcomes[0].models[best], "\(commands)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "\(SweepHarness.leftovers(mark))")
    }

    /// The coordinator killed at each of its crash points a population passes (the second time),
    /// and where the next generation starts, where a member's checkpoint copy is half done, and
    /// where the last member of the first generation pauses; resumed, the sweep ends as an
    /// uninterrupted one does.
    @Test func aCoordinatorKilledAtEachDecisionPointEndsWithTheSameLineageAndModels() throws {
        let tiny = try Self.sweep()
        let mark = UUID().uuidString
        let reference = try SweepHarness.run(["sweep", tiny.config, "--run-dir", tiny.dir + "/reference"], mark: mark, timeout: 300)
        #expect(reference.status == 0, "\(reference.output)")
        let expected = try Self.outcome(tiny, run: "reference", mark: mark)
        let passed = CrashPoint.points["coordinator"]!.filter { !["stop-decided", "pause-decided", "trial-promoted"].contains($0) }
        for point in passed.map({ $0 + ":2" }) + ["checkpoint-half-copied:1", "trial-concluded:4"] {
            let run = "killed-" + point.replacingOccurrences(of: ":", with: "-")
            let marker = tiny.dir + "/" + run + ".crashed"
            var last = try SweepHarness.run(["sweep", tiny.config, "--run-dir", tiny.dir + "/" + run], mark: mark,
                                            environment: [CrashPoint.environmentVariable: "coordinator:" + point,
                                                          CrashPoint.markerVariable: marker], timeout: 300)
            #expect(FileManager.default.fileExists(atPath: marker) && last.status == CrashPoint.exitStatus, "\(point): \(last.output)")
            for _ in 0..<3 where last.status != 0 {
                last = try SweepHarness.run(["resume", tiny.dir + "/" + run], mark: mark, timeout: 300)
            }
            #expect(last.status == 0, "\(point): \(last.output)")
            #expect(try Self.outcome(tiny, run: run, mark: mark) == expected, "\(point)")
            #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "\(point): \(SweepHarness.leftovers(mark))")
        }
    }

    /// A source whose checkpoint at the generation's end no longer verifies is not copied: the
    /// member goes on as it was, and the lineage says so (the decision recorded, the checkpoint
    /// corrupted while the coordinator was down).
    @Test func aSourceThatDoesNotVerifyIsNotCopied() throws {
        let tiny = try Self.sweep()
        let mark = UUID().uuidString
        let run = tiny.dir + "/sweep"
        let first = try SweepHarness.run(["sweep", tiny.config, "--run-dir", run], mark: mark,
                                         environment: [CrashPoint.environmentVariable: "coordinator:generation-decided:1",
                                                       CrashPoint.markerVariable: tiny.dir + "/crashed"], timeout: 300)
        #expect(first.status == CrashPoint.exitStatus, "\(first.output)")
        let decided = try #require(try SweepHarness.report(run, mark: mark)["lineage"] as? [[String: Any]])
        let copy = try #require(decided.first { $0["generation"] as? Int == 1 && !($0["source"] is NSNull) }, "\(decided)")
        let (member, source) = (copy["trial"] as? Int ?? 0, copy["source"] as? Int ?? 0)
        let own = try #require(decided.first { $0["generation"] as? Int == 0 && $0["trial"] as? Int == member })
        // Flip one byte of the source's model at the generation's end (epoch 2, step 20).
        let model = run + String(format: "/trial-%04d/checkpoints/step-00000020/model.safetensors", source)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        bytes[bytes.count - 1] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: model))
        let resumed = try SweepHarness.run(["resume", run], mark: mark, timeout: 300)
        #expect(resumed.status == 0 && resumed.output.contains("[trial \(member)] cannot copy trial \(source)"), "\(resumed.output)")
        let lineage = try #require(try SweepHarness.report(run, mark: mark)["lineage"] as? [[String: Any]])
        let kept = try #require(lineage.first { $0["generation"] as? Int == 1 && $0["trial"] as? Int == member })
        #expect(kept["source"] is NSNull, "\(kept)")
        #expect(NSDictionary(dictionary: kept["params"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: own["params"] as? [String: Any] ?? [:]),
                "\(kept) against \(own)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "\(SweepHarness.leftovers(mark))")
    }

    /// A program member that ends its generation without saving anything fails its attempt.
    @Test func aProgramThatSavesNothingFails() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        try ExecutableFile.write("""
        #!/usr/bin/env python3
        import json, os
        for epoch in range(1, int(os.environ["RINGTRAIN_STOP_AFTER"]) + 1):
            print(json.dumps({"epoch": epoch, "loss": 1.0 / epoch}), flush=True)
        """, to: dir + "/forgetful.py")
        try """
        sweep:
          method: pbt
          program: \(dir)/forgetful.py
          metric: {name: loss, goal: minimize}
          population: 2
          interval: 1
          budget: 2
          parameters:
            lr: {min: 0.1, max: 0.9}
          max_retries: 0
        """.write(toFile: dir + "/sweep.yaml", atomically: false, encoding: .utf8)
        let mark = UUID().uuidString
        let result = try SweepHarness.run(["sweep", dir + "/sweep.yaml", "--run-dir", dir + "/run"], mark: mark)
        #expect(result.output.contains("without saving anything in RINGTRAIN_SAVE_DIR"), "\(result.output)")
        let trials = try #require(try SweepHarness.report(dir + "/run", mark: mark)["trials"] as? [[String: Any]])
        #expect(trials.allSatisfy { $0["status"] as? String == "failed" }, "\(trials)")
    }

    /// The example program of docs/pbt-program.md in a real sweep: it continues from the folder it
    /// is given, so each member's final state records the members whose training it carries, which
    /// must be the report's schedule; the same seed gives the same lineage and results.
    @Test func theDocumentedProgramTakesPartThroughItsFolders() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let program = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/pbt-program.py").path
        try """
        sweep:
          method: pbt
          program: \(program)
          metric: {name: loss, goal: minimize}
          population: 4
          interval: 2
          budget: 6
          parameters:
            lr: {distribution: log_uniform_values, min: 0.001, max: 0.2}
            momentum: {values: [0.0, 0.5, 0.9]}
          parallel: 2
          seed: 2
        """.write(toFile: dir + "/sweep.yaml", atomically: false, encoding: .utf8)
        let mark = UUID().uuidString
        var reports: [[String: Any]] = []
        for run in ["first", "second"] {
            let result = try SweepHarness.run(["sweep", dir + "/sweep.yaml", "--run-dir", dir + "/" + run], mark: mark)
            #expect(result.status == 0 && result.output.contains("copies trial"), "\(result.output)")
            reports.append(try SweepHarness.report(dir + "/" + run, mark: mark))
        }
        func text(_ value: Any?) -> String {
            String(decoding: (try? JSONSerialization.data(withJSONObject: value ?? NSNull(), options: [.sortedKeys, .fragmentsAllowed])) ?? Data(), as: UTF8.self)
        }
        #expect(text(reports[0]["lineage"]) == text(reports[1]["lineage"]))
        #expect(text((reports[0]["trials"] as? [[String: Any]])?.map { $0["metric"] }) == text((reports[1]["trials"] as? [[String: Any]])?.map { $0["metric"] }))
        #expect((reports[0]["replay"] as? [Any])?.isEmpty == true)
        // The best member's final state was trained by the members its schedule names, generation by generation.
        let best = try #require((reports[0]["best"] as? [String: Any])?["id"] as? Int)
        let schedule = try #require(reports[0]["best_schedule"] as? [[String: Any]])
        let expected = schedule.flatMap { s in Array(repeating: s["trial"] as? Int ?? 0, count: ((s["to"] as? Int ?? 0) - (s["from"] as? Int ?? 0) + 1) / 2) }
        let state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + String(format: "/first/trial-%04d/generations/2/state.json", best)))) as? [String: Any])
        let trainedBy = (state["trained_by"] as? [String] ?? []).map { Int($0.suffix(4)) ?? 0 }
        #expect(trainedBy == expected && expected.count == 3, "\(state) against \(schedule)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "\(SweepHarness.leftovers(mark))")
    }

    /// `--stop-after` as a user uses it: a run stopped after 2 epochs, resumed to 4, then to the
    /// end, ends with the model of a straight run; a resume already past it stops at once.
    @Test func aRunStoppedAfterEpochsAndResumedEndsAsAStraightRun() throws {
        let tiny = try TinyRun(epochs: 6, job: "  schedule: {name: cosine}\n  checkpoint: {every_steps: 0, keep_last: 1}")
        #expect(try tiny.train("straight").status == 0)
        let stopped = try tiny.train("stepwise", ["--stop-after", "2"])
        #expect(stopped.status == 3 && stopped.output.contains("stopped after 2 epoch(s) (job.stop_after) at step 20"), "\(stopped.output)")
        #expect(tiny.latest("stepwise") == "step-00000020")
        let again = try TinyRun.ringtrain(["resume", tiny.dir + "/stepwise", "--stop-after", "1"])
        #expect(again.status == 3 && tiny.latest("stepwise") == "step-00000020", "\(again.output)")
        #expect(try TinyRun.ringtrain(["resume", tiny.dir + "/stepwise", "--stop-after", "4"]).status == 3)
        #expect(try TinyRun.ringtrain(["resume", tiny.dir + "/stepwise"]).status == 0)
        #expect(try tiny.finalModel("stepwise") == (try tiny.finalModel("straight")))
        // A run that restarts itself after losing a rank still stops where it was told.
        let healed = try tiny.train("healed", ["--ranks", "2", "--set", "cluster.restarts={max: 2, backoff: 0s}", "--stop-after", "4"],
                                    environment: ["RINGTRAIN_CRASH_AT": "checkpoint:model.safetensors:1", "RINGTRAIN_CRASH_SIGNAL": "\(SIGKILL)",
                                                  "RINGTRAIN_CRASH_MARKER": tiny.dir + "/crashed"])
        #expect(FileManager.default.fileExists(atPath: tiny.dir + "/crashed"), "\(healed.output)")
        #expect(healed.status == 3 && tiny.latest("healed") == "step-00000040", "\(healed.output)")
        // A config with a sweep section still trains its job so; its sweep refuses job.stop_after.
        try tiny.append("sweep:\n  method: random\n  run_cap: 2\n  metric: {name: val_loss}\n  parameters:\n    optimizer.lr: {min: 0.01, max: 0.1}\n")
        let withSweep = try tiny.train("with-sweep", ["--stop-after", "1"])
        #expect(withSweep.status == 3 && tiny.latest("with-sweep") == "step-00000010", "\(withSweep.output)")
        let requeued = try tiny.train("requeued", ["--stop-after", "1", "--slurm-requeue"], environment: ["SLURM_JOB_ID": "1"])
        #expect(requeued.status == 2 && requeued.output.contains("does not go with --slurm-requeue"), "\(requeued.output)")
        let sweep = try TinyRun.ringtrain(["sweep", tiny.config, "--run-dir", tiny.dir + "/sweep", "--set", "job.stop_after=1"])
        #expect(sweep.status == 2 && sweep.output.contains("job.stop_after does not apply to a sweep's trials"), "\(sweep.output)")
    }
}
