// LostSupervisorRestartTests: supervisors lost in a row are counted in the store, so the third in
// a row fails the attempt even when a coordinator restarted between them; an end judged for a
// trial no longer running is refused and changes nothing.
import Foundation
import Testing
@testable import Coordinator

@Suite(.serialized)
struct LostSupervisorRestartTests {
    @Test("the third lost supervisor in a row fails the attempt across a coordinator restart")
    func lostSupervisorsSurviveARestart() throws {
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
        // Two attempts whose supervisors vanish without a record, under a first coordinator.
        do {
            let first = try runner()
            let id = try first.store.addTrials([["optimizer.lr": .double(0.002)]])[0]
            for attempt in 1...2 {
                #expect(try first.store.markRunning(id, from: attempt == 1 ? .pending : .interrupted) == attempt)
                try first.conclude(id, attempt: attempt, record: nil)
                let trial = try #require(try first.store.trials().first)
                #expect(trial.status == .interrupted && trial.lostSupervisors == attempt && trial.failures == 0)
            }
        }
        // The third, under a new coordinator: a failed attempt (retried, max_retries 1).
        let second = try runner()
        #expect(try second.store.markRunning(1, from: .interrupted) == 3)
        try second.conclude(1, attempt: 3, record: nil)
        let trial = try #require(try second.store.trials().first)
        #expect(trial.status == .pending && trial.failures == 1 && trial.lostSupervisors == 0)
        #expect(trial.error?.hasPrefix("its supervisor ended without recording how the command ended, 3 times in a row") == true)
        // Judging an end again, for a trial no longer running, is refused.
        try second.conclude(1, attempt: 3, record: TrialExitRecord(attempt: 3, status: 1, ended: .exited))
        #expect(try second.store.trials().first == trial)
    }
}
