// Sweep attack tests through the real binary: a small Bayesian space searched to exhaustion, Ctrl-C
// with a program that ignores SIGTERM, a hanging program under trial_timeout (with and without a
// coordinator), relative paths and edited comments, a broken sweep section, and 20 random kills.
import Foundation
import Testing

@Suite(.serialized)
struct SweepAttackTests {
    /// Starts the binary without waiting (for tests that signal or kill it), marked with `mark`.
    static func start(_ arguments: [String], mark: String, environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(BuiltBinary.ringtrain))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.merging(TrainingFixtures.environment) { $1 }
        for (key, value) in environment { env[key] = value }
        env[SweepHarness.markVariable] = mark
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits up to `seconds` for `condition`; true when it held.
    static func wait(_ seconds: Double, for condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    static func programConfig(in dir: String, body: String) throws -> String {
        let path = dir + "/sweep.yaml"
        try ("cluster: {stop_grace_period: 2}\nsweep:\n  program: \(SweepHarness.objective)\n  metric: {name: score, goal: minimize}\n" + body)
            .write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    @Test func bayesOnASmallDiscreteSpaceTriesEachConfigurationOnceThenEnds() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        let config = try Self.programConfig(in: dir, body: """
              method: bayes
              parameters:
                x: {values: [0.0, 1.0, 2.0]}
                y: {values: [0.5, 1.5]}
              run_cap: 10
              parallel: 2
            """)
        let result = try SweepHarness.run(["sweep", config, "--run-dir", dir + "/run"], mark: mark)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("the search space is exhausted: all 6 distinct configurations"), "\(result.stdout)")
        let again = try SweepHarness.run(["resume", dir + "/run"], mark: mark)
        #expect(again.status == 0, "\(again.output)")
        let trials = try #require(try SweepHarness.report(dir + "/run", mark: mark)["trials"] as? [[String: Any]])
        #expect(trials.count == 6 && trials.allSatisfy { $0["status"] as? String == "finished" }, "\(trials)")
        let pairs = Set(trials.compactMap { $0["params"] as? [String: Double] }.map { "\($0["x"]!)/\($0["y"]!)" })
        #expect(pairs == ["0.0/0.5", "0.0/1.5", "1.0/0.5", "1.0/1.5", "2.0/0.5", "2.0/1.5"], "\(pairs)")
    }

    @Test func ctrlCStopsAProgramThatIgnoresSIGTERMAndLeavesNothing() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        let config = try Self.programConfig(in: dir, body: "  method: random\n  parameters: {x: {min: 0.0, max: 1.0}}\n  run_cap: 2\n  parallel: 2\n")
        let coordinator = try Self.start(["sweep", config, "--run-dir", dir + "/run"], mark: mark,
                                         environment: ["OBJECTIVE_IGNORE_TERM": "1", "OBJECTIVE_PAUSE": "100", "LEDGER": dir + "/ledger"])
        let started = Self.wait(30) {
            (1...2).allSatisfy { (try? String(contentsOfFile: dir + String(format: "/run/trial-%04d/output.log", $0), encoding: .utf8))?
                .contains("attempt 1") == true }
        }
        #expect(started)
        usleep(300_000)
        kill(coordinator.processIdentifier, SIGINT)
        let ended = Self.wait(60) { !coordinator.isRunning }
        #expect(ended, "the coordinator ends once the grace period is over")
        if !ended { kill(coordinator.processIdentifier, SIGKILL) }
        coordinator.waitUntilExit()
        #expect(coordinator.terminationStatus == 3)
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "left behind: \(SweepHarness.leftovers(mark))")
        let stopped = try #require(try SweepHarness.report(dir + "/run", mark: mark)["trials"] as? [[String: Any]])
        #expect(stopped.allSatisfy { $0["status"] as? String == "interrupted" && $0["error"] is NSNull }, "\(stopped)")

        let resumed = try SweepHarness.run(["resume", dir + "/run"], mark: mark, environment: ["LEDGER": dir + "/ledger"])
        #expect(resumed.status == 0, "\(resumed.output)")
        try SweepHarness.expectWhole(dir + "/run", ledger: dir + "/ledger",
                                     shape: .init(name: "ctrl-c", method: "random", parameters: "", runCap: 2, parallel: 2),
                                     mark: mark, lostAttempts: 2, "ctrl-c then resume")
    }

    @Test func aHangingProgramIsStoppedByTheTrialTimeoutEvenWithoutACoordinator() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        let config = try Self.programConfig(in: dir, body: """
              method: random
              parameters: {x: {min: 0.0, max: 1.0}}
              run_cap: 1
              max_retries: 1
              trial_timeout: 2
            """)
        let environment = ["OBJECTIVE_IGNORE_TERM": "1", "OBJECTIVE_PAUSE": "100"]
        let coordinator = try Self.start(["sweep", config, "--run-dir", dir + "/run"], mark: mark, environment: environment)
        let status = dir + "/run/trial-0001/exit-status"
        #expect(Self.wait(30) { (try? String(contentsOfFile: dir + "/run/trial-0001/output.log", encoding: .utf8))?.contains("attempt 1") == true })
        kill(coordinator.processIdentifier, SIGKILL)
        coordinator.waitUntilExit()
        // No coordinator runs now; the supervisor alone ends the attempt at its time limit.
        #expect(Self.wait(30) { FileManager.default.fileExists(atPath: status) })
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: status))) as? [String: Any])
        #expect(record["ended"] as? String == "timeout" && record["attempt"] as? Int == 1, "\(record)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "left behind: \(SweepHarness.leftovers(mark))")

        let resumed = try SweepHarness.run(["resume", dir + "/run"], mark: mark, environment: environment)
        #expect(resumed.status == 0, "\(resumed.output)")
        let trials = try #require(try SweepHarness.report(dir + "/run", mark: mark)["trials"] as? [[String: Any]])
        #expect(trials.count == 1)
        #expect(trials.first?["status"] as? String == "failed" && trials.first?["reason"] as? String == "timeout", "\(trials)")
        #expect(trials.first?["attempts"] as? Int == 2, "retried once, like any failure: \(trials)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "left behind: \(SweepHarness.leftovers(mark))")
    }

    @Test func relativePathsResolveAgainstTheConfigFolderAndCommentsDoNotChangeTheSweep() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/project", withIntermediateDirectories: true)
        try ExecutableFile.write(String(contentsOfFile: SweepHarness.objective, encoding: .utf8), to: dir + "/project/objective.sh")
        let body = "  metric: {name: score}\n  parameters: {x: {values: [0.1, 0.2]}}\n  method: grid\n"
        try ("sweep:\n  program: objective.sh\n" + body).write(toFile: dir + "/project/program.yaml", atomically: false, encoding: .utf8)
        try ("sweep:\n  command: [sh, objective.sh, \"${args}\"]\n" + body).write(toFile: dir + "/project/command.yaml", atomically: false, encoding: .utf8)
        for name in ["program", "command"] {
            let run = dir + "/runs/\(name)"
            let first = try SweepHarness.run(["sweep", dir + "/project/\(name).yaml", "--run-dir", run], mark: mark)
            #expect(first.status == 0, "\(name): \(first.output)")
            let trials = try #require(try SweepHarness.report(run, mark: mark)["trials"] as? [[String: Any]])
            #expect(trials.count == 2 && trials.allSatisfy { $0["status"] as? String == "finished" }, "\(name): \(trials)")
            #expect(try SweepHarness.run(["resume", run], mark: mark).status == 0, "\(name)")
            // A comment changes nothing the config means: the same sweep continues.
            let path = dir + "/project/\(name).yaml"
            try ("# tried on Tuesday\n" + String(contentsOfFile: path, encoding: .utf8)).write(toFile: path, atomically: false, encoding: .utf8)
            let commented = try SweepHarness.run(["sweep", path, "--run-dir", run], mark: mark)
            #expect(commented.status == 0, "\(name): \(commented.output)")
            let changed = try SweepHarness.run(["sweep", path, "--run-dir", run, "--set", "sweep.max_retries=3"], mark: mark)
            #expect(changed.status == 2 && changed.stderr.contains("holds a sweep of a different config"), "\(name): \(changed.output)")
        }
    }

    @Test func aProgramThatCannotStartFailsOnceInsteadOfLooping() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        try ExecutableFile.write("#!/usr/bin/no-such-interpreter\nprint(1)\n", to: dir + "/broken.py")
        try "sweep:\n  program: broken.py\n  method: random\n  metric: {name: score}\n  parameters: {x: {min: 0.0, max: 1.0}}\n  run_cap: 2\n  max_retries: 0\n"
            .write(toFile: dir + "/sweep.yaml", atomically: false, encoding: .utf8)
        let result = try SweepHarness.run(["sweep", dir + "/sweep.yaml", "--run-dir", dir + "/run"], mark: mark, timeout: 60)
        #expect(result.status == 0 && !result.timedOut, "\(result.output)")
        let trials = try #require(try SweepHarness.report(dir + "/run", mark: mark)["trials"] as? [[String: Any]])
        #expect(trials.count == 2 && trials.allSatisfy { $0["status"] as? String == "failed" && $0["attempts"] as? Int == 1 }, "\(trials)")
        let log = try String(contentsOfFile: dir + "/run/trial-0001/output.log", encoding: .utf8)
        #expect(log.contains("is the interpreter on its #! line installed?"), "\(log)")
    }

    @Test func aStopReachesEveryProcessOfTheTrialNotOnlyTheFirst() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        // A wrapper that starts the objective as its child: the objective must still be asked to stop.
        try ExecutableFile.write("#!/bin/sh\nsh \(SweepHarness.objective) \"$@\"\n", to: dir + "/wrapper.sh")
        let config = try Self.programConfig(in: dir, body: "  method: random\n  parameters: {x: {min: 0.0, max: 1.0}}\n  run_cap: 1\n")
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: SweepHarness.objective, with: dir + "/wrapper.sh")
            .write(toFile: config, atomically: false, encoding: .utf8)
        let coordinator = try Self.start(["sweep", config, "--run-dir", dir + "/run"], mark: mark,
                                         environment: ["OBJECTIVE_PAUSE": "100", "OBJECTIVE_TERM_FILE": dir + "/asked-to-stop"])
        #expect(Self.wait(30) { (try? String(contentsOfFile: dir + "/run/trial-0001/output.log", encoding: .utf8))?.contains("attempt 1") == true })
        usleep(500_000)
        kill(coordinator.processIdentifier, SIGINT)
        #expect(Self.wait(60) { !coordinator.isRunning })
        coordinator.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: dir + "/asked-to-stop"), "the objective under the wrapper got SIGTERM")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "left behind: \(SweepHarness.leftovers(mark))")
    }

    @Test func aSecondCoordinatorOnTheSameFolderIsRefused() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        let config = try Self.programConfig(in: dir, body: "  method: random\n  parameters: {x: {min: 0.0, max: 1.0}}\n  run_cap: 1\n")
        let first = try Self.start(["sweep", config, "--run-dir", dir + "/run"], mark: mark, environment: ["OBJECTIVE_PAUSE": "1"])
        #expect(Self.wait(30) { FileManager.default.fileExists(atPath: dir + "/run/trial-0001/output.log") })
        let second = try SweepHarness.run(["resume", dir + "/run"], mark: mark)
        #expect(second.status == 2 && second.stderr.contains("is in use by another ringtrain process (pid \(first.processIdentifier)"),
                "\(second.output)")
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
    }

    @Test(.enabled(if: TrainingFixtures.haveFashion, "Fashion-MNIST not installed"))
    func trainRefusesAConfigWhoseSweepSectionIsBroken() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, extra: """
            sweep:
              method: bayesian
              metric: {name: val_acc}
              parameters: {optimizer.lr: {values: [0.1]}}
            """)
        let result = try SweepHarness.run(["train", config, "--run-dir", dir + "/run"], mark: UUID().uuidString)
        #expect(result.status == 2 && result.stderr.contains("sweep.method"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/run/metrics.jsonl"), "nothing trained")
    }

    /// SIGKILLs the coordinator 20 times at seeded random moments of a Bayesian sweep with
    /// hyperband and 2 parallel program trials, resuming each time; the sweep still ends whole.
    @Test func twentyRandomKillsOfTheCoordinatorLoseNothing() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        let shape = SweepHarness.Shape(name: "soak", method: "bayes", parameters: "x: {min: 0.0, max: 1.0}\n    y: {values: [0.2, 0.9]}",
                                       runCap: 40, parallel: 2, extra: "  early_terminate: {type: hyperband, min_iter: 1, eta: 2}\n", epochs: 4)
        let config = try SweepHarness.config(shape, in: dir)
        let environment = ["LEDGER": dir + "/ledger", "OBJECTIVE_EPOCHS": "4", "OBJECTIVE_PAUSE": "0.35"]
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0..<1000, using: &generator)
        var state = seed
        func nextDelay() -> Double {   // seeded: a failure prints the seed that reproduces it
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return 0.1 + Double(state >> 33) / Double(1 << 31) * 0.7
        }
        var kills = 0
        var done = false
        for _ in 0..<40 where !done {
            // A kill before the sweep's store exists leaves nothing to resume: start the sweep again,
            // as its user would.
            let started = FileManager.default.fileExists(atPath: dir + "/run/sweep.sqlite")
            let process = try Self.start(started ? ["resume", dir + "/run"] : ["sweep", config, "--run-dir", dir + "/run"],
                                         mark: mark, environment: environment)
            if kills < 20 {
                usleep(UInt32(nextDelay() * 1_000_000))
                if process.isRunning { kill(process.processIdentifier, SIGKILL); kills += 1 }
            }
            process.waitUntilExit()
            done = process.terminationReason == .exit && process.terminationStatus == 0
        }
        print("soak: \(kills) SIGKILLs of the coordinator (delay seed \(seed)), sweep done: \(done)")
        #expect(done, "delay seed \(seed)")
        #expect(kills == 20, "delay seed \(seed)")
        try SweepHarness.expectWhole(dir + "/run", ledger: dir + "/ledger", shape: shape, mark: mark, lostAttempts: kills,
                                     "soak, delay seed \(seed)")
    }
}
