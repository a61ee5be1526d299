// LostSupervisorRestartTests: supervisors lost in a row are counted in the store, so the third in
// a row fails the attempt even when a coordinator restarted between them (one that never started
// is not counted); an end judged for a trial no longer running is refused and changes nothing; a
// restarted coordinator asks a lost supervisor's leftovers to stop again before killing them, and
// follows a live supervisor whatever drain deadline an earlier binary left.
import Foundation
import Testing
@testable import Coordinator

@Suite(.serialized)
struct LostSupervisorRestartTests {
    /// A sweep of one program-free training trial (max_retries 1) in a tiny run's folder, and a
    /// way to open a coordinator on it.
    static func sweep() throws -> (TinyRun, () throws -> SweepRunner) {
        let tiny = try TinyRun(epochs: 2)
        let text = try String(contentsOfFile: tiny.config, encoding: .utf8) + """

            sweep:
              method: grid
              metric: {name: val_loss, goal: minimize}
              parameters:
                optimizer.lr: {values: [0.002]}
              max_retries: 1

            """
        try text.write(toFile: tiny.config, atomically: false, encoding: .utf8)
        let config = try RunConfig(file: try ConfigFile.load(path: tiny.config))
        let spec = try #require(try config.sweepSpec())
        func runner() throws -> SweepRunner {
            let runner = try SweepRunner(config: config, spec: spec, runDirectory: tiny.dir + "/sweep")
            runner.quiet = true
            return runner
        }
        return (tiny, runner)
    }

    /// A trial left running with its drain deadline recorded, by a coordinator that died.
    static func leftDraining(_ runner: () throws -> SweepRunner, deadline: Double) throws -> Int {
        let first = try runner()
        let id = try first.store.addTrials([["optimizer.lr": .double(0.002)]])[0]
        #expect(try first.store.markRunning(id) == 1)
        try first.store.setPID(id, pid: 999_999)
        #expect(try first.store.apply(.leftoversStopping(deadline: deadline), to: id, from: .running) != nil)
        return id
    }

    @Test("a restarted coordinator asks a lost supervisor's leftovers to stop again before killing them, even past the deadline")
    func adoptedDrainSendsSIGTERMAgain() throws {
        let (tiny, runner) = try Self.sweep()
        // Recorded as ending long ago (the first coordinator may have died before its SIGTERM went).
        let id = try Self.leftDraining(runner, deadline: Date().timeIntervalSince1970 - 1000)
        let second = try runner()
        let mark = tiny.dir + "/sigterm"
        let leftover = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "trap 'echo term >> \(mark)' TERM; while :; do sleep 0.1; done"],
                                        environment: [TrialExec.tagVariable: second.tag(id)])
        defer {
            _ = leftover.signalGroup(SIGKILL)
            _ = leftover.wait()
        }
        #expect(SweepAttackTests.wait(10) { !TrialExec.processes(tagged: second.tag(id)).isEmpty })
        try second.reconcile()
        // The adopted deadline, read at once (a slow wait below must not use up the margin).
        let deadline = try #require(second.active[id]?.drainDeadline)
        let left = deadline - TrialExec.monotonicSeconds()
        // Not killed at once: asked to stop, and given at least the margin.
        #expect(SweepAttackTests.wait(5) { FileManager.default.fileExists(atPath: mark) }, "SIGTERM sent again")
        #expect(leftover.poll() == nil, "not killed at once")
        #expect(left > 0 && left <= SweepRunner.drainMargin)
        #expect(try second.store.trials().first?.status == .running)
    }

    @Test("a drain deadline an earlier binary left beside a live supervisor is not adopted: the attempt is followed")
    func staleDeadlineBesideALiveSupervisor() throws {
        let (tiny, runner) = try Self.sweep()
        let id = try Self.leftDraining(runner, deadline: Date().timeIntervalSince1970 - 1000)
        let second = try runner()
        let binary = try #require(BuiltBinary.ringtrain)
        let directory = second.trialDirectory(id)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let supervisor = try ChildProcess(executable: binary, arguments: ["trial-exec", directory, "--attempt", "1", "--grace", "1",
                                                                           "--", "/bin/sleep", "100"],
                                          environment: TrainingFixtures.environment.merging([TrialExec.tagVariable: second.tag(id)]) { $1 })
        defer {
            supervisor.signal(SIGKILL)
            _ = supervisor.wait()
            for pid in TrialExec.processes(tagged: second.tag(id)) { TrialExec.sendSignal(SIGKILL, to: pid, tagged: second.tag(id)) }
        }
        #expect(SweepAttackTests.wait(30) { TrialExec.supervisor(tagged: second.tag(id)) != nil })
        _ = tiny
        try second.reconcile()
        #expect(second.active[id] != nil)
        #expect(second.active[id]?.drainDeadline == nil, "followed, not drained")
        #expect(supervisor.poll() == nil)
    }

    @Test("the third lost supervisor in a row fails the attempt across a coordinator restart")
    func lostSupervisorsSurviveARestart() throws {
        let (_, runner) = try Self.sweep()
        // Two attempts whose supervisors vanish without a record, under a first coordinator.
        do {
            let first = try runner()
            let id = try first.store.addTrials([["optimizer.lr": .double(0.002)]])[0]
            for attempt in 1...2 {
                #expect(try first.store.markRunning(id, from: attempt == 1 ? .pending : .interrupted) == attempt)
                try first.store.setPID(id, pid: 999_999)   // its supervisor started
                try first.conclude(id, attempt: attempt, record: nil)
                let trial = try #require(try first.store.trials().first)
                #expect(trial.status == .interrupted && trial.lostSupervisors == attempt && trial.failures == 0)
            }
        }
        // The third, under a new coordinator: a failed attempt (retried, max_retries 1).
        let second = try runner()
        // A coordinator that dies (or cannot start the supervisor) after marking the trial running
        // leaves no pid, marker nor record: interrupted, not counted.
        #expect(try second.store.markRunning(1, from: .interrupted) == 3)
        try second.conclude(1, attempt: 3, record: nil)
        let neverStarted = try #require(try second.store.trials().first)
        #expect(neverStarted.status == .interrupted && neverStarted.lostSupervisors == 2 && neverStarted.failures == 0)
        // Its marker in the log says the supervisor started: then it is counted, the third in a row.
        #expect(try second.store.markRunning(1, from: .interrupted) == 4)
        let logPath = second.trialDirectory(1) + "/output.log"
        try FileManager.default.createDirectory(atPath: second.trialDirectory(1), withIntermediateDirectories: true)
        let earlier = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        try (earlier + "\n" + TrialExec.attemptMarker(4) + "\n").write(toFile: logPath, atomically: false, encoding: .utf8)
        try second.conclude(1, attempt: 4, record: nil)
        let trial = try #require(try second.store.trials().first)
        #expect(trial.status == .pending && trial.failures == 1 && trial.lostSupervisors == 0, "\(trial)")
        #expect(trial.error?.hasPrefix("its supervisor ended without recording how the command ended, 3 times in a row") == true)
        // Judging an end again, for a trial no longer running, is refused.
        try second.conclude(1, attempt: 4, record: TrialExitRecord(attempt: 3, status: 1, ended: .exited))
        #expect(try second.store.trials().first == trial)
    }
}
