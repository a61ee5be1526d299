// LaunchSignalTests: `ringtrain train --ranks 2` under signals and deaths at awkward moments — a
// stop while the ranks are still starting saves and exits 3, and a rank killed mid-run is not
// taken for the launcher dying.
import Foundation
import Testing

@Suite(.serialized)
struct LaunchSignalTests {
    /// A SIGTERM to the launcher while every rank is still starting (held before MPI starts by a
    /// test hook) reaches ranks that keep it for their first step: they save and exit 3.
    @Test func stopWhileTheRanksStartSavesAndExitsThree() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir)
        let run = dir + "/run"
        let job = try Background(["train", config, "--ranks", "2", "--run-dir", run],
                                 environment: ["RINGTRAIN_TEST_START_DELAY": "3"])
        let started = job.wait(until: { Background.rank(0, mentioning: run) != nil && Background.rank(1, mentioning: run) != nil },
                               timeout: 60)
        #expect(started, "both ranks started: \(job.stderr)")
        usleep(300_000)
        kill(job.pid, SIGTERM)
        let status = job.finish(timeout: 120)
        #expect(status == 3, "a stopped run exits 3: \(job.stderr)")
        #expect(!job.stderr.contains("has been aborted") && !job.stderr.contains("exited with non-zero status"),
                "an orderly stop does not read as a failure: \(job.stderr)")
        let latest = try? String(contentsOfFile: run + "/checkpoints/latest", encoding: .utf8)
        #expect(latest?.contains("step-00000001") == true, "the first step's checkpoint: \(latest ?? "none")")
    }

    /// A stop at any moment once the launcher catches it (before mpirun has started a rank, while
    /// the ranks exec and set their handlers, once they train) is a stop: exit 3 with a checkpoint,
    /// never a rank killed by the signal or a stop lost. The launcher asks through rank 0's
    /// standard input, and signals once the ranks can catch it; before, one SIGUSR1 went to mpirun
    /// and was lost, or ended a rank that had no handler yet.
    @Test("a stop at any moment of a 2-rank launch saves and exits 3", arguments: [0.02, 0.05, 0.1, 0.2, 0.4, 1.0])
    func stopAtAnyMomentOfTheLaunch(after seconds: Double) throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir)
        let run = dir + "/run"
        let job = try Background(["train", config, "--ranks", "2", "--run-dir", run, "--set", "job.epochs=50"])
        // From when the launcher catches SIGTERM (before, the default action ends it, as any
        // program's start does).
        func catchesSIGTERM() -> Bool {
            let status = (try? String(contentsOfFile: "/proc/\(job.pid)/status", encoding: .utf8)) ?? ""
            let mask = status.split(separator: "\n").first { $0.hasPrefix("SigCgt:") }.flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) }
            return (mask ?? 0) & (1 << (UInt64(SIGTERM) - 1)) != 0
        }
        #expect(job.wait(until: catchesSIGTERM, timeout: 60), "\(job.stderr)")
        usleep(useconds_t(seconds * 1e6))
        kill(job.pid, SIGTERM)
        let status = job.finish(timeout: 120)
        #expect(status == 3, "a stopped run exits 3: \(job.stderr)")
        #expect(!job.stderr.contains("has been aborted") && !job.stderr.contains("exited on signal"), "\(job.stderr)")
        #expect(FileManager.default.fileExists(atPath: run + "/checkpoints/latest"), "a checkpoint was saved: \(job.stderr)")
    }

    /// One rank trains in the command's own process: Ctrl-C says what it does, and a second one
    /// a moment later (a double press) is the same request, not a quit that loses the save.
    @Test func oneRankSaysItStopsAndADoublePressStillSaves() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir)
        let run = dir + "/run"
        let job = try Background(["train", config, "--run-dir", run, "--set", "job.epochs=50"],
                                 environment: ["RINGTRAIN_TEST_STEP_DELAY": "0.01"])
        #expect(job.wait(until: { FileManager.default.fileExists(atPath: run + "/heartbeat") }, timeout: 60), "\(job.stderr)")
        kill(job.pid, SIGINT)
        usleep(50_000)
        kill(job.pid, SIGINT)
        let status = job.finish(timeout: 120)
        #expect(status == 3, "\(job.stderr)")
        #expect(job.stderr.contains("stopping — the step in progress finishes and a checkpoint is saved"), "\(job.stderr)")
        #expect(FileManager.default.fileExists(atPath: run + "/checkpoints/latest"), "\(job.stderr)")
    }

    /// Closing the terminal or SSH session (SIGHUP) stops a run as SIGTERM does, with a checkpoint;
    /// under nohup (SIGHUP ignored) the run goes on.
    @Test("SIGHUP saves and exits 3; ignored, as under nohup, it changes nothing", arguments: [(1, false), (2, false), (1, true)])
    func hangup(ranks: Int, ignored: Bool) throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir)
        let run = dir + "/run"
        let binary = try #require(BuiltBinary.ringtrain)
        let arguments = ["train", config, "--ranks", "\(ranks)", "--run-dir", run] + (ignored ? [] : ["--set", "job.epochs=50"])
        let job = ignored
            ? try Background(executable: "/bin/bash", ["-c", "trap '' HUP; exec \"$0\" \"$@\"", binary] + arguments)
            : try Background(arguments)
        #expect(job.wait(until: { FileManager.default.fileExists(atPath: run + "/heartbeat") }, timeout: 60), "\(job.stderr)")
        kill(job.pid, SIGHUP)
        let status = job.finish(timeout: 120)
        #expect(status == (ignored ? 0 : 3), "\(job.stderr)")
        #expect(FileManager.default.fileExists(atPath: run + "/checkpoints/latest"), "\(job.stderr)")
    }

    /// SIGKILL of rank 1 mid-run ends the job with mpirun naming the rank; rank 0, whose input
    /// mpirun closes as it ends the job, does not claim the launcher is gone.
    @Test func killedRankIsNotBlamedOnTheLauncher() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, extra: "  checkpoint: {every_steps: 5}")
        let run = dir + "/run"
        let job = try Background(["train", config, "--ranks", "2", "--run-dir", run, "--set", "job.epochs=50"])
        let checkpointed = job.wait(until: { FileManager.default.fileExists(atPath: run + "/checkpoints/latest") }, timeout: 120)
        #expect(checkpointed, "the run saved a checkpoint: \(job.stderr)")
        let victim = try #require(Background.rank(1, mentioning: run))
        kill(victim, SIGKILL)
        let status = job.finish(timeout: 120)
        #expect(status != nil && status != 0, "\(job.stderr)")
        #expect(!job.stderr.contains("launching `ringtrain` process is gone"), "\(job.stderr)")
        #expect(job.stderr.contains("rank 1"), "the dead rank is named: \(job.stderr)")
    }
}
