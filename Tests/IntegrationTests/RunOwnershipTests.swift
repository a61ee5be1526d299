// RunOwnershipTests: two hands on one run folder — a second writer refused naming the holder,
// readers reading a live run, the launcher SIGKILLed (its ranks end), the disk full during a save
// (the previous checkpoint stays usable) — and runs that refuse to overwrite other folders.
import Foundation
import Testing

@Suite(.serialized)
struct RunOwnershipTests {
    /// A run slow enough to act on while it trains: each checkpoint save sleeps 1 s.
    static let slow = ["RINGTRAIN_TEST_SAVE_DELAY": "1"]

    @Test func aSecondWriterIsRefusedNamingTheHolderWhileReadersReadTheLiveRun() throws {
        let tiny = try TinyRun()
        let run = tiny.dir + "/run"
        let first = try Background(["train", tiny.config, "--run-dir", run], environment: Self.slow)
        #expect(first.wait(until: { tiny.latest("run") != nil }))

        let second = try TinyRun.ringtrain(["resume", run])
        #expect(second.status == 2, "\(second.output)")
        #expect(second.stderr.contains("in use by another ringtrain process (pid \(first.pid) on"), "\(second.stderr)")
        let again = try TinyRun.ringtrain(["train", tiny.config, "--run-dir", run])
        #expect(again.status == 2 && again.stderr.contains("--resume"), "\(again.output)")
        let worker = try TinyRun.ringtrain(["worker", tiny.config, "--run-dir", run, "--resume"])
        #expect(worker.status == 2 && worker.stderr.contains("in use by another ringtrain process"), "\(worker.output)")
        let reader = try TinyRun.ringtrain(["evaluate", run, "--json"])
        #expect(reader.status == 0, "\(reader.output)")

        #expect(first.finish() == 0, "\(first.stderr)")
        let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4 && TrainingFixtures.jsonLines(lines.joined(separator: "\n")).count == 4, "\(lines)")
    }

    @Test func ranksEndWhenTheirLauncherIsKilled() throws {
        let tiny = try TinyRun()
        let run = tiny.dir + "/run"
        let launcher = try Background(["train", tiny.config, "--ranks", "2", "--run-dir", run], environment: Self.slow)
        #expect(launcher.wait(until: { tiny.latest("run") != nil }))
        #expect(Background.rank(1, mentioning: run) != nil, "the ranks run")
        kill(launcher.pid, SIGKILL)
        launcher.process.waitUntilExit()
        let deadline = Date().addingTimeInterval(60)
        while !Background.processes(mentioning: run).isEmpty && Date() < deadline { usleep(50_000) }
        let left = Background.processes(mentioning: run)
        #expect(left.isEmpty, "mpirun and the ranks must end with their launcher: \(left)")
        for pid in left { kill(pid, SIGKILL) }
        let resumed = try TinyRun.ringtrain(["resume", run])
        #expect(resumed.status == 0, "the lock went with the launcher: \(resumed.output)")
    }

    /// Rank 0 watches its input only once the launcher's greeting arrived: a job whose input
    /// mpirun does not forward (`--stdin none`) must not take that for a dead launcher.
    @Test func aJobWhoseInputIsNotForwardedStillRuns() throws {
        let tiny = try TinyRun(mpirunArgs: ["--stdin", "none"])
        let result = try tiny.train("run", ["--ranks", "2"])
        #expect(result.status == 0 && !result.stderr.contains("is gone"), "\(result.output)")
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskDuringASaveLeavesThePreviousCheckpointUsable() throws {
        let tiny = try TinyRun(epochs: 1, job: "  checkpoint: {every_steps: 0, keep_last: 1}")
        let mount = tiny.dir + "/small"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = try ProcessRunner.run("/bin/mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mount], timeout: 20)
        try #require(mounted.status == 0, "mount: \(mounted.output)")
        defer { _ = try? ProcessRunner.run("/bin/umount", ["-l", mount], timeout: 20) }
        let run = mount + "/run"
        let first = try TinyRun.ringtrain(["train", tiny.config, "--run-dir", run])
        #expect(first.status == 0, "\(first.output)")
        // Fill the file system with one-page files, then free two pages: room for the resume to
        // rewrite its config files (one page at a time), not for the next checkpoint's files.
        try FileManager.default.createDirectory(atPath: mount + "/filler", withIntermediateDirectories: true)
        let block = [UInt8](repeating: 7, count: 4096)
        var pages = 0
        while true {
            let fd = open(mount + "/filler/\(pages)", O_WRONLY | O_CREAT, 0o644)
            guard fd >= 0 else { break }
            let written = write(fd, block, block.count)
            close(fd)
            guard written == block.count else { break }
            pages += 1
        }
        for page in 0..<2 { try FileManager.default.removeItem(atPath: mount + "/filler/\(page)") }
        let full = try TinyRun.ringtrain(["resume", run, "--set", "job.epochs=2"])
        #expect(full.status == 1, "\(full.output)")
        #expect(full.stderr.contains("No space left on device") && full.stderr.contains("step-00000020"), "\(full.stderr)")
        #expect(full.stderr.contains("the previous checkpoints and latest are unchanged"), "\(full.stderr)")
        #expect(!full.stderr.contains("Fatal error"))
        let previous = try TinyRun.ringtrain(["evaluate", run, "--json"])
        #expect(previous.status == 0 && previous.stdout.contains("\"step\":10"), "\(previous.output)")
        try FileManager.default.removeItem(atPath: mount + "/filler")
        let resumed = try TinyRun.ringtrain(["resume", run, "--set", "job.epochs=2"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints")).contains { $0.hasPrefix(".tmp-") })
    }

    @Test func aRunNeverWritesOverAnotherFolder() throws {
        let tiny = try TinyRun()
        let env = try #require(BuiltBinary.onPath("env"))
        let binary = try #require(BuiltBinary.ringtrain)
        for dir in [".", ".."] {
            let result = try ProcessRunner.run(env, ["-C", tiny.dir + "/..", binary, "train", tiny.config, "--run-dir", dir],
                                               environment: TrainingFixtures.environment, timeout: 60)
            #expect(result.status == 2 && result.stderr.contains("working folder"), "\(result.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: tiny.dir + "/../cluster.yaml"))
        try FileManager.default.createDirectory(atPath: tiny.dir + "/mine", withIntermediateDirectories: true)
        try "keep me".write(toFile: tiny.dir + "/mine/cluster.yaml", atomically: true, encoding: .utf8)
        let foreign = try tiny.train("mine")
        #expect(foreign.status == 2 && foreign.stderr.contains("not a ringtrain run"), "\(foreign.output)")
        #expect(try String(contentsOfFile: tiny.dir + "/mine/cluster.yaml", encoding: .utf8) == "keep me")

        #expect(try tiny.train("done").status == 0)
        let model = try tiny.finalModel("done")
        let over = try tiny.train("done")
        #expect(over.status == 2 && over.stderr.contains("--resume"), "\(over.output)")
        #expect(try tiny.finalModel("done") == model)
        #expect(try String(contentsOfFile: tiny.dir + "/done/metrics.jsonl", encoding: .utf8).split(separator: "\n").count == 4)

        // Two runs without --run-dir started together get folders of their own.
        let a = try Background(["train", tiny.config], directory: tiny.dir)
        let b = try ProcessRunner.run(env, ["-C", tiny.dir, binary, "train", tiny.config], environment: TrainingFixtures.environment)
        #expect(a.finish() == 0 && b.status == 0, "\(a.stderr) \(b.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tiny.dir + "/runs").count == 2)
    }
}
