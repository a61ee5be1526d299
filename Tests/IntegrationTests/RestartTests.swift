// RestartTests: 2-rank runs under real mpirun that restart themselves (cluster.restarts): a rank
// SIGKILLed, or rank 0 killed in the middle of a checkpoint write, ends in the model and metrics of
// an uninterrupted run; restarts run out with a list of failures; what would repeat is not restarted.
import Foundation
import Testing

@Suite(.serialized, .enabled(if: BuiltBinary.onPath("mpirun") != nil, "mpirun not on PATH (scripts/setup installs it)"))
struct RestartTests {
    /// 6 epochs of 10 steps, a checkpoint every 4; a failure is seen within 10 s.
    static func tiny() throws -> TinyRun {
        try TinyRun(epochs: 6, job: "  checkpoint: {every_steps: 4, keep_last: 2}", failureTimeout: 10)
    }
    /// Restarts on, without waiting between them.
    static func restarts(max: Int = 2) -> [String] { ["--ranks", "2", "--set", "cluster.restarts={max: \(max), backoff: 0s}"] }
    /// Steps slow enough (60 × 50 ms) for a kill to land mid-run.
    static let slow = ["RINGTRAIN_TEST_STEP_DELAY": "0.05"]

    /// The metrics lines of `run` without their timings.
    static func metrics(_ tiny: TinyRun, _ run: String) throws -> [String] {
        try withoutTimings(String(contentsOfFile: "\(tiny.dir)/\(run)/metrics.jsonl", encoding: .utf8).split(separator: "\n").map(String.init))
    }

    /// JSON lines without their timings (sorted keys).
    static func withoutTimings(_ lines: [String]) throws -> [String] {
        try lines.map { line in
            var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            for timing in ["samples_per_s", "seconds", "time", "elapsed_s"] { object[timing] = nil }
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    /// The restarts of `run` as `ringtrain status --json` reads them from restarts.jsonl.
    static func restartRecords(_ tiny: TinyRun, _ run: String) throws -> [[String: Any]] {
        let status = try TinyRun.ringtrain(["status", "\(tiny.dir)/\(run)", "--json"], timeout: 30)
        try #require(status.status == 0, "\(status.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], "\(status.output)")
        #expect(object["unreadable_restart_lines"] as? Int == 0, "\(object)")
        return try #require(object["restarts"] as? [[String: Any]], "\(object)")
    }

    enum Loss: String, CaseIterable, CustomStringConvertible {
        /// Rank 1 SIGKILLed from outside once a checkpoint exists.
        case rankOneKilled
        /// Rank 0 ends by SIGKILL after writing model.safetensors of its third save (a temp folder
        /// left half-written), once.
        case rankZeroKilledMidSave
        var description: String { rawValue }
    }

    @Test("a lost rank restarts on the same ranks to a byte-identical model and the same metrics", arguments: Loss.allCases)
    func lostRankRestartsExactly(_ loss: Loss) throws {
        let tiny = try Self.tiny()
        let straight = try tiny.train("straight", ["--ranks", "2", "--json"])
        try #require(straight.status == 0, "\(straight.output)")

        var environment = Self.slow
        if loss == .rankZeroKilledMidSave {
            environment["RINGTRAIN_CRASH_AT"] = "checkpoint:model.safetensors:3"
            environment["RINGTRAIN_CRASH_MARKER"] = tiny.dir + "/crashed"
            environment["RINGTRAIN_CRASH_SIGNAL"] = "\(SIGKILL)"
        }
        let run = tiny.dir + "/healed"
        let healing = try Background(["train", tiny.config, "--run-dir", run, "--json"] + Self.restarts(), environment: environment,
                                     keepOutput: true)
        if loss == .rankOneKilled {
            #expect(healing.wait(until: { tiny.latest("healed") != nil }), "\(healing.stderr)")
            // The config file changes under the run: a restart goes on with the job as it began.
            try "job: {name: [not a job".write(toFile: tiny.config, atomically: false, encoding: .utf8)
            let victim = try #require(Background.rank(1, mentioning: run), "rank 1 is not running: \(healing.stderr)")
            kill(victim, SIGKILL)
        }
        let status = healing.finish()
        #expect(status == 0, "\(healing.stderr)")
        if loss == .rankZeroKilledMidSave {
            #expect(FileManager.default.fileExists(atPath: tiny.dir + "/crashed"), "the save was never interrupted: \(healing.stderr)")
        }
        // Standard output too reads as the uninterrupted run's: the epoch line printed before the
        // lost save is not printed again.
        let printed = healing.stdout.split(separator: "\n").map(String.init)
        #expect(try Self.withoutTimings(printed) == Self.withoutTimings(straight.stdout.split(separator: "\n").map(String.init)),
                "\(healing.stdout)")
        let records = try Self.restartRecords(tiny, "healed")
        try #require(records.count == 1, "\(records) \(healing.stderr)")
        #expect(records[0]["cause"] as? String == "lost_rank", "\(records[0])")
        #expect(records[0]["rank"] as? Int == (loss == .rankOneKilled ? 1 : 0), "\(records[0])")
        #expect(records[0]["ranks_before"] as? Int == 2 && records[0]["ranks_after"] as? Int == 2, "\(records[0])")
        let resumed = try #require(records[0]["resumed_from_step"] as? Int, "\(records[0])")
        #expect(resumed % 4 == 0 && resumed > 0, "resumed from a checkpoint step: \(records[0])")
        #expect(records[0]["seconds_to_training"] as? Double != nil, "\(records[0])")
        #expect(healing.stderr.contains("restart 1: "), "\(healing.stderr)")

        #expect(try tiny.finalModel("healed") == tiny.finalModel("straight"), "the restarted run's model differs")
        #expect(try Self.metrics(tiny, "healed") == Self.metrics(tiny, "straight"))
    }

    @Test("a rank that dies at the same step every time: restarts run out, exit 1 with every failure listed")
    func restartsRunOut() throws {
        let tiny = try Self.tiny()
        let run = try tiny.train("run", Self.restarts(max: 2) + ["--fail-rank", "1", "--fail-step", "7", "--fail-mode", "kill"])
        #expect(run.status == 1, "\(run.output)")
        #expect(run.stderr.contains("giving up: 2 restarts already within cluster.restarts.window"), "\(run.stderr)")
        let failures = run.stderr.components(separatedBy: "the failures:").last?.split(separator: "\n")
            .filter { $0.hasPrefix("  ") && $0.contains("rank 1 on host") && $0.contains("was killed") } ?? []
        #expect(failures.count == 3, "each of the 3 failures is listed: \(run.stderr)")
        let records = try Self.restartRecords(tiny, "run")
        #expect(records.map { $0["restart"] as? Int } == [1, 2], "\(records)")
        #expect(records.allSatisfy { $0["resumed_from_step"] as? Int == 4 && $0["failed_at_step"] as? Int == 7 }, "\(records)")
        #expect(records.allSatisfy { $0["steps_lost"] as? Int == 3 }, "\(records)")
    }

    @Test("restarts that keep going back to the same checkpoint give up, however far apart they are")
    func noProgressGivesUp() throws {
        let tiny = try Self.tiny()
        let run = try tiny.train("run", ["--ranks", "2", "--set", "cluster.restarts={max: 2, backoff: 0s, window: 1s}",
                                         "--fail-rank", "1", "--fail-step", "7", "--fail-mode", "kill"])
        #expect(run.status == 1, "\(run.output)")
        #expect(run.stderr.contains("giving up: the last 2 restarts all went back to step 4 without a newer checkpoint"), "\(run.stderr)")
        #expect(try Self.restartRecords(tiny, "run").count == 2)
    }

    @Test("a stop while waiting to restart ends the run at once: exit 3, nothing restarted")
    func stopWhileWaitingToRestart() throws {
        let tiny = try Self.tiny()
        let run = tiny.dir + "/run"
        let waiting = try Background(["train", tiny.config, "--run-dir", run, "--ranks", "2",
                                      "--set", "cluster.restarts={max: 2, backoff: 10m}", "--fail-rank", "1", "--fail-step", "7",
                                      "--fail-mode", "kill"])
        #expect(waiting.wait(until: { waiting.stderr.contains("restarting in 10 m") }), "\(waiting.stderr)")
        kill(waiting.pid, SIGINT)
        #expect(waiting.finish(timeout: 30) == 3, "\(waiting.stderr)")
        #expect(waiting.stderr.contains("stopped before restarting; continue with `ringtrain resume"), "\(waiting.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run + "/restarts.jsonl"))
    }

    enum Repeating: String, CaseIterable, CustomStringConvertible {
        /// Rank 0 exits with a status of its own (86) in its second save: a failure of the rank
        /// itself, not a loss.
        case ownError
        case diverged, badData, stopped
        var description: String { rawValue }
    }

    @Test("what would only happen again is not restarted: an error of a rank's own, a divergence, bad data, a stop",
          arguments: Repeating.allCases)
    func noRestartForWhatWouldRepeat(_ ending: Repeating) throws {
        let tiny = try Self.tiny()
        let run = tiny.dir + "/run"
        let status: Int32?, stderr: String
        switch ending {
        case .ownError, .diverged, .badData:
            let extra: [String] = switch ending {
            case .diverged: DivergenceTests.blowUp
            case .badData: ["--set", "job.dataset.train=missing.csv"]
            default: []
            }
            let crash = ["RINGTRAIN_CRASH_AT": "checkpoint:model.safetensors:2"]
            let result = try tiny.train("run", Self.restarts() + extra, environment: ending == .ownError ? crash : [:])
            (status, stderr) = (result.status, result.stderr)
        case .stopped:
            let stopping = try Background(["train", tiny.config, "--run-dir", run] + Self.restarts(), environment: Self.slow)
            #expect(stopping.wait(until: { tiny.latest("run") != nil }), "\(stopping.stderr)")
            kill(stopping.pid, SIGINT)
            (status, stderr) = (stopping.finish(), stopping.stderr)
        }
        let expected: Int32 = switch ending { case .badData: 2; case .stopped: 3; default: 1 }
        #expect(status == expected, "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: run + "/restarts.jsonl"), "\(stderr)")
        #expect(!stderr.contains("restart 1"), "\(stderr)")
        if ending == .ownError || ending == .diverged { #expect(stderr.contains("not restarted: it would happen again"), "\(stderr)") }
        if ending == .diverged { #expect(stderr.contains("the run diverged; not restarted"), "\(stderr)") }
        if ending == .ownError { #expect(stderr.contains("failed with its own error (exit code 86)"), "\(stderr)") }
    }

    @Test("the restarting `train` SIGKILLed while its ranks run leaves no rank behind, and `resume` continues exactly")
    func supervisorKilled() throws {
        let tiny = try Self.tiny()
        let straight = try tiny.train("straight", ["--ranks", "2"])
        try #require(straight.status == 0, "\(straight.output)")
        let run = tiny.dir + "/run"
        let supervisor = try Background(["train", tiny.config, "--run-dir", run] + Self.restarts(), environment: Self.slow)
        #expect(supervisor.wait(until: { tiny.latest("run") != nil }), "\(supervisor.stderr)")
        kill(supervisor.pid, SIGKILL)
        _ = supervisor.finish()
        let deadline = Date().addingTimeInterval(60)
        while !Background.processes(mentioning: run).isEmpty && Date() < deadline { usleep(100_000) }
        #expect(Background.processes(mentioning: run).isEmpty, "ranks left running after their supervisor died")
        let resumed = try TinyRun.ringtrain(["resume", run])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(try tiny.finalModel("run") == tiny.finalModel("straight"))
        #expect(try Self.metrics(tiny, "run") == Self.metrics(tiny, "straight"))
    }

    @Test("inside a sweep a trial's own restarts come first: a rank lost once leaves max_retries 0 untouched")
    func trialRestartsBeforeSweepRetries() throws {
        let tiny = try Self.tiny()
        let config = try String(contentsOfFile: tiny.config, encoding: .utf8)
            .replacingOccurrences(of: "  failure_timeout: 10", with: "  failure_timeout: 10\n  restarts: {max: 2, backoff: 0s}")
            .replacingOccurrences(of: "  epochs: 6", with: "  epochs: 6\n  ranks: 2")
            + """

            sweep:
              method: grid
              metric: {name: val_acc, goal: maximize}
              parameters:
                optimizer.lr: {values: [0.05, 0.1]}
              max_retries: 0

            """
        try config.write(toFile: tiny.config, atomically: false, encoding: .utf8)
        // The first trial's rank 0 is killed by SIGKILL in its second checkpoint write, once.
        let crash = ["RINGTRAIN_CRASH_AT": "checkpoint:model.safetensors:2", "RINGTRAIN_CRASH_MARKER": tiny.dir + "/crashed",
                     "RINGTRAIN_CRASH_SIGNAL": "\(SIGKILL)"]
        let sweep = try TinyRun.ringtrain(["sweep", tiny.config, "--run-dir", tiny.dir + "/sweep"], environment: crash, timeout: 240)
        #expect(sweep.status == 0, "\(sweep.output)")
        #expect(FileManager.default.fileExists(atPath: tiny.dir + "/crashed"), "no rank was lost: \(sweep.output)")
        let report = try TinyRun.ringtrain(["report", tiny.dir + "/sweep", "--format", "json", "--no-save"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any], "\(report.output)")
        let trials = try #require(object["trials"] as? [[String: Any]])
        #expect(trials.count == 2 && trials.allSatisfy { $0["status"] as? String == "finished" && $0["attempts"] as? Int == 1 }, "\(trials)")
        let records = try ["trial-0001", "trial-0002"].flatMap { try Self.restartRecords(tiny, "sweep/" + $0) }
        #expect(records.count == 1 && records.first?["cause"] as? String == "lost_rank", "\(records)")
    }
}
