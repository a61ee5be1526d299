// SweepTests: real sweeps through the built binary — a grid of 2-rank training trials ranked by
// the report, a program objective that fails and is retried, and early stopping. Crashes and
// kills are in SweepCrashPointTests and SweepAttackTests.
import Foundation
import Testing

@Suite(.serialized)
struct SweepTests {
    static let objective: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/objective.py").path
    }()

    static func ringtrain(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 300) throws -> ProcessResult {
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        return try ProcessRunner.run(binary, arguments, environment: TrainingFixtures.environment.merging(environment) { $1 },
                                     timeout: timeout)
    }

    static func report(_ runDirectory: String) throws -> [String: Any] {
        let result = try ringtrain(["report", runDirectory, "--format", "json", "--no-save"])
        #expect(result.status == 0, "\(result.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    static func programSweep(in dir: String, method: String = "random", runCap: Int = 6, parallel: Int = 2,
                             fail: String = "never", extra: String = "") throws -> String {
        let path = dir + "/sweep.yaml"
        try """
        sweep:
          method: \(method)
          program: \(objective)
          metric: {name: score, goal: minimize}
          parameters:
            x: {min: 0.0, max: 1.0}
            y: {values: [0.1, 0.5, 0.9]}
            fail: {value: \(fail)}
          run_cap: \(runCap)
          parallel: \(parallel)
          max_retries: 1
          seed: 7
        \(extra)
        """.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: TrainingFixtures.haveFashion, "Fashion-MNIST not installed"))
    func gridOfTwoRankTrialsIsRankedByTheReport() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, extra: """
              ranks: 2
            sweep:
              method: grid
              metric: {name: val_acc, goal: maximize}
              parameters:
                optimizer.lr: {values: [0.003, 0.1]}
                model.hidden: {values: [[16], [48]]}
            """)
        let result = try Self.ringtrain(["sweep", config, "--run-dir", dir + "/sweep"])
        #expect(result.status == 0, "\(result.output)")
        let report = try Self.report(dir + "/sweep")
        let trials = try #require(report["trials"] as? [[String: Any]])
        #expect(trials.count == 4)
        #expect(trials.allSatisfy { $0["status"] as? String == "finished" }, "\(trials)")
        let values = trials.compactMap { ($0["metrics"] as? [String: Any])?["val_acc"] as? Double }
        #expect(values.count == 4)
        #expect(values == values.sorted(by: >), "ranked best first: \(values)")
        let best = try #require(report["best"] as? [String: Any])
        #expect(best["id"] as? Int == trials[0]["id"] as? Int)
        #expect(FileManager.default.fileExists(atPath: dir + "/sweep/trial-0004/checkpoints/latest"))
    }

    @Test func failingProgramIsRetriedThenRecorded() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let once = try Self.programSweep(in: dir, runCap: 3, fail: "once")
        let first = try Self.ringtrain(["sweep", once, "--run-dir", dir + "/once"])
        #expect(first.status == 0, "\(first.output)")
        let retried = try #require(try Self.report(dir + "/once")["trials"] as? [[String: Any]])
        #expect(retried.count == 3)
        #expect(retried.allSatisfy { $0["status"] as? String == "finished" && $0["attempts"] as? Int == 2 }, "\(retried)")

        let always = try Self.programSweep(in: dir, runCap: 2, fail: "always")
        let second = try Self.ringtrain(["sweep", always, "--run-dir", dir + "/always"])
        #expect(second.status == 0, "a failed trial does not fail the sweep: \(second.output)")
        let failed = try #require(try Self.report(dir + "/always")["trials"] as? [[String: Any]])
        #expect(failed.count == 2)
        #expect(failed.allSatisfy { $0["status"] as? String == "failed" && $0["attempts"] as? Int == 2 }, "\(failed)")
        #expect(failed.allSatisfy { ($0["error"] as? String)?.contains("failing on purpose") == true }, "\(failed)")
    }

    @Test func earlyTerminationStopsTrials() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try Self.programSweep(in: dir, method: "random", runCap: 6, parallel: 1,
                                           extra: "  early_terminate: {type: hyperband, min_iter: 1, eta: 2}")
        let result = try Self.ringtrain(["sweep", config, "--run-dir", dir + "/run"], environment: ["OBJECTIVE_EPOCHS": "4", "OBJECTIVE_PAUSE": "0.3"])
        #expect(result.status == 0, "\(result.output)")
        let trials = try #require(try Self.report(dir + "/run")["trials"] as? [[String: Any]])
        let stopped = trials.filter { $0["status"] as? String == "stopped" }
        #expect(!stopped.isEmpty, "some trial is below the top half at a rung: \(result.stdout)")
        #expect(trials.contains { $0["status"] as? String == "finished" })
        #expect(stopped.allSatisfy { ($0["epochs"] as? Int ?? 9) < 4 }, "stopped before the last epoch: \(stopped)")
    }
}
