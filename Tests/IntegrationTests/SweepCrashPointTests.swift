// Sweep crash points: the coordinator and the trial supervisor are killed at every named point of
// their durable transitions (k = 1 and 2), over program sweeps of every shape and a training sweep,
// and after a resume each sweep ends whole: each trial run to completion once, nothing lost.
import Foundation
import Synchronization
import Testing
import Worker

@Suite(.serialized)
struct SweepCrashPointTests {
    /// One case: a role's point, the pass to die at, a sweep shape.
    struct Case: Sendable, CustomStringConvertible {
        let role: String
        let point: String
        let pass: Int
        let shape: SweepHarness.Shape
        var description: String { "\(role):\(point):\(pass) in \(shape)" }
    }

    /// Every listed point of the coordinator (passes 1 and 2) and the supervisor (pass 1: each
    /// supervisor is one attempt, so it passes each point once) over every shape.
    static let cases: [Case] = SweepHarness.shapes.flatMap { shape in
        CrashPoint.points["coordinator"]!.flatMap { point in [1, 2].map { Case(role: "coordinator", point: point, pass: $0, shape: shape) } }
            + CrashPoint.points["supervisor"]!.map { Case(role: "supervisor", point: $0, pass: 1, shape: shape) }
    }

    /// Runs one case: the sweep with the crash armed (the one process that gets there dies), then
    /// `resume` until the sweep is done; returns whether the crash happened.
    static func run(_ c: Case) throws -> Bool {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try SweepHarness.config(c.shape, in: dir)
        let mark = UUID().uuidString
        let marker = dir + "/crashed"
        let environment = ["LEDGER": dir + "/ledger", "OBJECTIVE_EPOCHS": String(c.shape.epochs),
                           CrashPoint.environmentVariable: "\(c.role):\(c.point):\(c.pass)", CrashPoint.markerVariable: marker]
        let first = try SweepHarness.run(["sweep", config, "--run-dir", dir + "/run"], mark: mark, environment: environment)
        #expect(!first.timedOut, "\(c): \(first.output)")
        let crashed = FileManager.default.fileExists(atPath: marker)
        if c.role == "coordinator" && crashed { #expect(first.status == CrashPoint.exitStatus, "\(c): \(first.output)") }
        var last = first
        for _ in 0..<3 where last.status != 0 {
            last = try SweepHarness.run(["resume", dir + "/run"], mark: mark, environment: ["LEDGER": dir + "/ledger",
                                                                                           "OBJECTIVE_EPOCHS": String(c.shape.epochs)])
        }
        #expect(last.status == 0, "\(c): \(last.output)")
        try SweepHarness.expectWhole(dir + "/run", ledger: dir + "/ledger", shape: c.shape, mark: mark, c.description)
        return crashed
    }

    @Test func everyCrashPointOfEveryProgramSweepShape() throws {
        let tally = Mutex<(reached: Int, failures: [String])>((0, []))
        let queue = Array(Self.cases.enumerated())
        // Three cases at a time: they mostly wait on each other's small processes.
        DispatchQueue.concurrentPerform(iterations: 3) { worker in
            for (index, c) in queue where index % 3 == worker {
                do {
                    let crashed = try Self.run(c)
                    tally.withLock { $0.reached += crashed ? 1 : 0 }
                } catch {
                    tally.withLock { $0.failures.append("\(c): \(error)") }
                }
            }
        }
        let (reached, failures) = tally.withLock { $0 }
        #expect(failures.isEmpty, "\(failures)")
        print("sweep crash points: \(Self.cases.count) (point, pass, shape) cases, \(reached) crashed where aimed, "
              + "\(Self.cases.count - reached) never reached that pass")
        #expect(reached >= Self.cases.count * 3 / 4)
    }

    /// The training trial's path: each point once, on a tiny data set, 1-rank trials.
    @Test(.enabled(if: TrainingFixtures.haveFashion, "Fashion-MNIST not installed"))
    func everyCrashPointOfATrainingSweep() throws {
        var reached = 0
        let points = ["coordinator", "supervisor"].flatMap { role in CrashPoint.points[role]!.map { (role, $0) } }
        for (role, point) in points {
            let dir = try TrainingFixtures.temporaryDirectory()
            let config = try TrainingFixtures.smallConfig(in: dir, extra: """
                sweep:
                  method: grid
                  metric: {name: val_acc, goal: maximize}
                  parameters:
                    optimizer.lr: {values: [0.1, 0.0001]}
                  early_terminate: {type: hyperband, min_iter: 1, eta: 2}
                """, subset: 1200)
            let mark = UUID().uuidString
            let marker = dir + "/crashed"
            var last = try SweepHarness.run(["sweep", config, "--run-dir", dir + "/run"], mark: mark,
                                            environment: [CrashPoint.environmentVariable: "\(role):\(point)", CrashPoint.markerVariable: marker])
            if FileManager.default.fileExists(atPath: marker) { reached += 1 }
            for _ in 0..<3 where last.status != 0 { last = try SweepHarness.run(["resume", dir + "/run"], mark: mark) }
            #expect(last.status == 0, "\(role):\(point): \(last.output)")
            let trials = try #require(try SweepHarness.report(dir + "/run", mark: mark)["trials"] as? [[String: Any]])
            // The second trial (lr 0.0001) is behind the first at epoch 1 and is stopped there.
            let byID = Dictionary(uniqueKeysWithValues: trials.map { ($0["id"] as? Int ?? 0, $0) })
            #expect(byID[1]?["status"] as? String == "finished" && byID[1]?["epochs"] as? Int == 2, "\(role):\(point): \(trials)")
            #expect(byID[2]?["status"] as? String == "stopped", "\(role):\(point): \(trials)")
            #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "\(role):\(point): \(SweepHarness.leftovers(mark))")
        }
        print("training sweep crash points: \(points.count) points, \(reached) crashed where aimed")
        #expect(reached == points.count)
    }
}
