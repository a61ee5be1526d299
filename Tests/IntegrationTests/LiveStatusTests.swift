// LiveStatusTests: `ringtrain status` from another process while a real sweep or training run
// runs — counts, running trials with their epoch, metric and rate, the best so far; status.json
// read when another host holds the sweep; a dead run or sweep said to be dead; and `--watch`
// redrawing in place in a real terminal (tmux) until the sweep ends.
import Foundation
import Testing

@Suite(.serialized)
struct LiveStatusTests {
    /// A program sweep of `runCap` trials, 2 at a time (OBJECTIVE_PAUSE sets each epoch's seconds).
    static func sweepConfig(in dir: String, runCap: Int = 4) throws -> String {
        try SweepHarness.objectiveSweep(in: dir, method: "random", parameters: ["x: {min: 0.0, max: 1.0}"],
                                        keys: ["run_cap: \(runCap)", "parallel: 2", "seed: 4"])
    }

    static func status(_ folder: String) throws -> [String: Any] {
        let result = try TinyRun.ringtrain(["status", folder, "--json"], timeout: 30)
        try #require(result.status == 0, "\(result.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.output)")
    }

    /// `status --json` of `folder` once it answers (nil before: e.g. the folder is not made yet).
    static func statusIfReady(_ folder: String) -> [String: Any]? {
        guard let result = try? TinyRun.ringtrain(["status", folder, "--json"], timeout: 30), result.status == 0 else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any]
    }

    @Test("a running sweep: trials by status, each running trial's epoch, metric and rate, the best; status.json the same; then finished")
    func runningSweep() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let sweep = dir + "/sweep"
        let running = try Background(["sweep", try Self.sweepConfig(in: dir), "--run-dir", sweep],
                                     environment: ["OBJECTIVE_PAUSE": "0.5", "OBJECTIVE_EPOCHS": "6"])
        var seen: [String: Any] = [:]
        let sawTrials = running.wait(until: {
            guard let object = Self.statusIfReady(sweep), let trials = object["running"] as? [[String: Any]] else { return false }
            seen = object
            return object["best_trial"] != nil && trials.contains { ($0["epoch"] as? Int ?? 0) >= 2 && $0["metric"] != nil }
        }, timeout: 60)
        #expect(sawTrials, "\(seen) \(running.stderr)")
        #expect(seen["state"] as? String == "running" && (seen["holder"] as? String)?.hasSuffix(", sweep") == true, "\(seen)")
        let counts = try #require(seen["counts"] as? [String: Int])
        #expect(counts.values.reduce(0, +) == 4, "every trial the run cap allows is counted once: \(counts)")
        let trial = try #require((seen["running"] as? [[String: Any]])?.first { $0["epoch"] != nil })
        #expect((trial["epochs_per_minute"] as? Double ?? 0) > 0 && (trial["parameters"] as? String)?.hasPrefix("x=") == true, "\(trial)")
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sweep + "/status.json"))) as? [String: Any])
        #expect(file["state"] as? String == "running" && file["written_on"] as? String == ProcessInfo.processInfo.hostName, "\(file)")
        // A trial may end between two looks (the next one has not reported yet): look again while the sweep runs.
        var text = ""
        let sawText = running.wait(until: {
            text = (try? TinyRun.ringtrain(["status", sweep], timeout: 30))?.output ?? ""
            return text.contains("sweep running") && text.contains(" running, epoch ")
        }, timeout: 60)
        #expect(sawText, "\(text)")

        #expect(running.finish(timeout: 120) == 0, "\(running.stderr)")
        let done = try Self.status(sweep)
        #expect(done["state"] as? String == "finished" && (done["counts"] as? [String: Int])?["finished"] == 4, "\(done)")
        let report = try TinyRun.ringtrain(["report", sweep, "--format", "json"])
        let best = (try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])?["best"] as? [String: Any]
        #expect(best?["id"] as? Int == done["best_trial"] as? Int, "\(String(describing: best)) \(done)")
        let file2 = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sweep + "/status.json"))) as? [String: Any])
        #expect(file2["state"] as? String == "finished", "the coordinator's last write: \(file2)")
    }

    @Test("a sweep held by a process on another host is read from its status.json; without one, a clear error")
    func anotherHostsSweep() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let sweep = dir + "/sweep"
        let result = try TinyRun.ringtrain(["sweep", try Self.sweepConfig(in: dir, runCap: 2), "--run-dir", sweep], timeout: 120)
        try #require(result.status == 0, "\(result.output)")
        // A holder elsewhere: the lock held (by this process), its record naming another host.
        let lock = sweep + "/.ringtrain.lock"
        try "pid 4242 on elsewhere.invalid, sweep\n".write(toFile: lock, atomically: false, encoding: .utf8)
        let fd = open(lock, O_RDONLY)
        try #require(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        defer { close(fd) }
        var file = try String(contentsOfFile: sweep + "/status.json", encoding: .utf8)
        file = file.replacingOccurrences(of: "\"state\":\"finished\"", with: "\"state\":\"running\"")
        try file.write(toFile: sweep + "/status.json", atomically: false, encoding: .utf8)
        let remote = try TinyRun.ringtrain(["status", sweep], timeout: 30)
        #expect(remote.status == 0 && remote.stdout.contains("sweep running") && remote.stdout.contains("(from status.json, written "), "\(remote.output)")
        try FileManager.default.removeItem(atPath: sweep + "/status.json")
        let missing = try TinyRun.ringtrain(["status", sweep], timeout: 30)
        #expect(missing.status == 2 && missing.stderr.contains("status.json") && missing.stderr.contains("another host"), "\(missing.output)")
    }

    @Test("a killed training run: status says no process holds the folder, names the last holder and how to resume")
    func deadRun() throws {
        let tiny = try TinyRun(epochs: 3000, job: "  checkpoint: {every_epoch: true, keep_last: 1}", hidden: 64)
        let run = tiny.dir + "/run"
        let training = try Background(["train", tiny.config, "--run-dir", run])
        var live: [String: Any] = [:]
        #expect(training.wait(until: {
            guard let object = Self.statusIfReady(run) else { return false }
            live = object
            return object["alive"] as? Bool == true && object["samples_per_s"] != nil && object["latest_checkpoint"] != nil
        }, timeout: 60), "\(live) \(training.stderr)")
        #expect(live["total_steps"] as? Int == 30_000 && (live["seconds_left"] as? Double ?? -1) > 0 && live["last_report"] != nil, "\(live)")
        kill(training.pid, SIGKILL)
        _ = training.finish(timeout: 30)
        let dead = try TinyRun.ringtrain(["status", run], timeout: 30)
        #expect(dead.stdout.contains("not running: no process holds the folder (it was last held by pid \(training.pid) on ")
                && dead.stdout.contains("`ringtrain resume \(run)` continues it"), "\(dead.output)")
        #expect(try Self.status(run)["alive"] as? Bool == false)
    }

    @Test("--watch in a terminal redraws in place while the sweep runs and ends when it does")
    func watchInATerminal() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let sweep = dir + "/sweep"
        let running = try Background(["sweep", try Self.sweepConfig(in: dir), "--run-dir", sweep],
                                     environment: ["OBJECTIVE_PAUSE": "0.8", "OBJECTIVE_EPOCHS": "5"])
        #expect(running.wait(until: { FileManager.default.fileExists(atPath: sweep + "/status.json") }, timeout: 60), "\(running.stderr)")
        // A terminal of its own: a tmux server on its own socket, its processes marked.
        let socket = "ringtrain-watch-\(getpid())", mark = UUID().uuidString
        func tmux(_ arguments: [String]) -> ProcessResult? {
            try? ProcessRunner.run("/usr/bin/tmux", ["-L", socket] + arguments, environment: [SweepHarness.markVariable: mark], timeout: 30)
        }
        defer {
            _ = tmux(["kill-server"])
            #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "the terminal and what it ran are gone")
        }
        let binary = try #require(BuiltBinary.ringtrain)
        let command = "\(binary) status \(sweep) --watch --interval 0.3; echo WATCH-ENDED $?; sleep 120"
        let started = tmux(["new-session", "-d", "-x", "200", "-y", "40", command])
        try #require(started?.status == 0, "\(started?.output ?? "tmux did not start")")
        var screens: [String] = []
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let now = tmux(["capture-pane", "-p"])?.stdout ?? ""
            screens.append(now)
            if now.contains("WATCH-ENDED") { break }
            usleep(250_000)
        }
        let last = try #require(screens.last)
        #expect(last.contains("WATCH-ENDED 0") && last.contains("sweep finished"), "\(last)")
        let whileRunning = screens.filter { $0.contains("sweep running") }
        #expect(!whileRunning.isEmpty, "\(screens.prefix(3))")
        // In place: every screen shows the header once, at the top.
        for shown in screens where shown.contains("sweep ") {
            #expect(shown.components(separatedBy: ": sweep ").count == 2, "\(shown)")
            #expect(shown.split(separator: "\n").first?.contains(": sweep ") == true, "\(shown)")
        }
        #expect(running.finish(timeout: 120) == 0, "\(running.stderr)")
    }

    @Test("status writes nothing into a sweep folder, says a search that ran out of configurations finished, and survives damage")
    func readOnlyAndDamage() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try SweepHarness.objectiveSweep(in: dir, method: "random", parameters: ["x: {values: [0.1, 0.2]}"],
                                                     keys: ["run_cap: 4", "seed: 2"])
        let sweep = dir + "/sweep"
        let result = try TinyRun.ringtrain(["sweep", config, "--run-dir", sweep], timeout: 120)
        try #require(result.status == 0, "\(result.output)")
        func listing() throws -> [String: Date] {
            Dictionary(uniqueKeysWithValues: try FileManager.default.contentsOfDirectory(atPath: sweep).map { name in
                (name, (try FileManager.default.attributesOfItem(atPath: sweep + "/" + name)[.modificationDate] as? Date) ?? .distantPast)
            })
        }
        let before = try listing()
        let status = try Self.status(sweep)
        let after = try listing()
        #expect(after == before, "status changed the folder: \(before.keys.sorted()) → \(after.keys.sorted())")
        #expect(status["state"] as? String == "finished", "2 configurations, both run: \(status)")
        #expect((status["counts"] as? [String: Int])?["not_started"] == 2, "\(status)")

        // A lock file that is a FIFO is not waited on; a damaged trial's metrics line does not trap.
        try FileManager.default.removeItem(atPath: sweep + "/.ringtrain.lock")
        #expect(mkfifo(sweep + "/.ringtrain.lock", 0o644) == 0)
        let fifo = try TinyRun.ringtrain(["status", sweep], timeout: 30)
        #expect(fifo.status == 0 && fifo.stdout.contains("sweep finished"), "\(fifo.output)")
        let tiny = try TinyRun(epochs: 1)
        let trained = try tiny.train("run")
        try #require(trained.status == 0, "\(trained.output)")
        try "{\"epoch\":1,\"step\":9223372036854775807,\"samples_per_s\":100}\n"
            .write(toFile: tiny.dir + "/run/metrics.jsonl", atomically: false, encoding: .utf8)
        let damaged = try TinyRun.ringtrain(["status", tiny.dir + "/run", "--json"], timeout: 30)
        #expect(damaged.status == 0, "\(damaged.output)")
    }
}
