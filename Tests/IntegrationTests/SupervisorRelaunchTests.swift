// Supervisor and relaunch through the real binary: a command that outlives SIGKILL (held as a
// zombie by a stopped debugger) is named, not waited for forever; a lost supervisor's next attempt
// waits for the run folder's lock the earlier attempt still holds instead of failing on it.
import Coordinator
import Foundation
import Testing
import Worker

@Suite(.serialized)
struct SupervisorRelaunchTests {
    /// Processes carrying `variable=value` in their environment, found through /proc.
    static func processes(with variable: String, _ value: String) -> [pid_t] {
        let needle = "\(variable)=\(value)"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { return nil }
            return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == needle } ? pid : nil
        }
    }

    static func commandLine(_ pid: pid_t) -> [String] {
        (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A debugger (strace) attached to the command and then stopped keeps the killed command
    /// from being reaped: before the fix the supervisor waited for it forever. Now it ends a
    /// second (`--kill-wait 1`) after SIGKILL and names the command in its status file and log.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/strace"), "strace not installed"))
    func aCommandThatOutlivesSIGKILLIsNamedNotWaitedForForever() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        let tag = "test:\(mark):1"
        let binary = try #require(BuiltBinary.ringtrain)
        let supervisor = try ChildProcess(executable: binary, arguments: ["trial-exec", dir, "--attempt", "1", "--grace", "1",
                                                                           "--kill-wait", "1", "--", "/bin/sleep", "100"],
                                          environment: TrainingFixtures.environment.merging([TrialExec.tagVariable: tag,
                                                                                             SweepHarness.markVariable: mark]) { $1 })
        var command: pid_t = 0
        #expect(SweepAttackTests.wait(30) {
            command = Self.processes(with: TrialExec.tagVariable, tag).first { Self.commandLine($0).first == "/bin/sleep" } ?? 0
            return command > 0
        })
        let quiet = open("/dev/null", O_WRONLY)
        defer { close(quiet) }
        let tracer = try ChildProcess(executable: "/usr/bin/strace", arguments: ["-p", String(command), "-o", "/dev/null"],
                                      stderrFD: quiet)
        defer {
            // The debugger goes first (its stopped tracee is then released and reaped), then a
            // supervisor still waiting, then the command if the debugger never held it.
            tracer.signal(SIGKILL)
            _ = tracer.wait()
            supervisor.signal(SIGKILL)
            _ = supervisor.wait()
            TrialExec.sendSignal(SIGKILL, to: command, tagged: tag)
        }
        #expect(SweepAttackTests.wait(30) {
            let status = (try? String(contentsOfFile: "/proc/\(command)/status", encoding: .utf8)) ?? ""
            return status.split(separator: "\n").contains { $0.hasPrefix("TracerPid:") && !$0.hasSuffix("\t0") }
        }, "strace attached")
        tracer.signal(SIGSTOP)
        supervisor.signal(SIGTERM)
        // SIGTERM stops in the stopped debugger's hands; a second later SIGKILL; a second later
        // the supervisor gives up waiting.
        let ended = SweepAttackTests.wait(30) { supervisor.poll() != nil }
        #expect(ended, "the supervisor ends though its command cannot be reaped")
        let status = try #require(TrialExec.recordedEnd(in: dir, attempt: 1), "the attempt's end is recorded")
        #expect(status.ended == .stopped && status.status == 128 + SIGKILL, "\(status)")
        #expect(status.leftovers?.contains { $0.hasPrefix("pid \(command):") } == true, "\(status)")
        let log = (try? String(contentsOfFile: dir + "/output.log", encoding: .utf8)) ?? ""
        #expect(log.contains("still alive after SIGKILL, left behind: pid \(command):"), "\(log)")
    }

    /// A supervisor lost (SIGKILL) while a process of its attempt still holds the trial's run
    /// folder lock for a few seconds: the next attempt waits for the lock and finishes; before
    /// the fix it started at once, was refused the folder (exit 2) and the trial failed.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/flock"), "flock not installed"))
    func aLostSupervisorsNextAttemptWaitsForTheFolderLock() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let mark = UUID().uuidString
        // Attempt 1 leaves a process holding the lock for 3 s (outside the trial's tag, as a
        // process still dying would be out of reach) and hangs; later attempts take the lock as
        // `train` does, and are refused while it is held.
        let program = dir + "/locking.sh"
        try ExecutableFile.write("""
        #!/bin/sh
        lock="$RINGTRAIN_TRIAL_DIR/.ringtrain.lock"
        if [ ! -e "$RINGTRAIN_TRIAL_DIR/first" ]; then
          : > "$RINGTRAIN_TRIAL_DIR/first"
          env -u \(TrialExec.tagVariable) flock -n "$lock" sleep 3 &
          sleep 100
        fi
        flock -n "$lock" true || { echo "$RINGTRAIN_TRIAL_DIR is in use by another ringtrain process" >&2; exit 2; }
        echo '{"score": 1.5}'
        """, to: program)
        let config = try SweepAttackTests.programConfig(in: dir, body: "  method: grid\n  parameters: {x: {values: [1]}}\n  max_retries: 0\n")
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: SweepHarness.objective, with: program)
            .write(toFile: config, atomically: false, encoding: .utf8)
        let coordinator = try SweepAttackTests.start(["sweep", config, "--run-dir", dir + "/run"], mark: mark)
        defer {
            if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) }
            coordinator.waitUntilExit()
        }
        #expect(SweepAttackTests.wait(30) { FileManager.default.fileExists(atPath: dir + "/run/trial-0001/first") })
        #expect(SweepAttackTests.wait(10) { FolderLock.holder(of: dir + "/run/trial-0001") != nil }, "the lock is held")
        let supervisor = Self.processes(with: SweepHarness.markVariable, mark).first { Self.commandLine($0).dropFirst().first == "trial-exec" }
        let pid = try #require(supervisor, "the trial's supervisor")
        kill(pid, SIGKILL)
        #expect(SweepAttackTests.wait(60) { !coordinator.isRunning }, "the sweep ends")
        coordinator.waitUntilExit()
        #expect(coordinator.terminationStatus == 0)
        let trials = try #require(try SweepHarness.report(dir + "/run", mark: mark)["trials"] as? [[String: Any]])
        #expect(trials.count == 1 && trials.first?["status"] as? String == "finished" && trials.first?["attempts"] as? Int == 2,
                "\(trials)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "left behind: \(SweepHarness.leftovers(mark))")
    }
}
