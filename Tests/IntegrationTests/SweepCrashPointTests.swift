// Sweep crash points: the coordinator and the trial supervisor are killed at every named point of
// their durable transitions (k = 1 and 2), over program sweeps of every shape and a training sweep,
// and after a resume each sweep ends whole: each trial run to completion once, nothing lost.
import Foundation
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

    /// The coordinator's points only a sweep that pauses (PausingHalvingTests kills there) or
    /// population-based training (PopulationTrainingTests) passes.
    static let pausePoints: Set = ["pause-decided", "trial-promoted", "generation-decided", "checkpoint-half-copied",
                                   "checkpoint-copied", "generation-started"]

    /// Every listed point of the coordinator (passes 1 and 2) but the pause points, and the
    /// supervisor (pass 1: each supervisor is one attempt, so it passes each point once) over every shape.
    static let cases: [Case] = SweepHarness.shapes.flatMap { shape in
        CrashPoint.points["coordinator"]!.filter { !pausePoints.contains($0) }.flatMap { point in
            [1, 2].map { Case(role: "coordinator", point: point, pass: $0, shape: shape) }
        }
            + CrashPoint.points["supervisor"]!.map { Case(role: "supervisor", point: $0, pass: 1, shape: shape) }
    }

    /// Runs one case: the sweep with the crash armed (the one process that gets there dies), then
    /// `resume` until the sweep is done; returns whether the crash happened.
    static func run(_ c: Case) throws -> Bool {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try SweepHarness.config(c.shape, in: dir)
        let mark = UUID().uuidString
        let marker = dir + "/crashed"
        // Trials last long enough (a few tenths of a second) to be still running when the next
        // coordinator starts, so adoption is what the resumes exercise.
        let objective = ["LEDGER": dir + "/ledger", "OBJECTIVE_EPOCHS": String(c.shape.epochs), "OBJECTIVE_PAUSE": "0.1"]
        let environment = objective.merging([CrashPoint.environmentVariable: "\(c.role):\(c.point):\(c.pass)",
                                             CrashPoint.markerVariable: marker]) { $1 }
        let first = try SweepHarness.run(["sweep", config, "--run-dir", dir + "/run"], mark: mark, environment: environment)
        #expect(!first.timedOut, "\(c): \(first.output)")
        let crashed = FileManager.default.fileExists(atPath: marker)
        if c.role == "coordinator" && crashed { #expect(first.status == CrashPoint.exitStatus, "\(c): \(first.output)") }
        var last = first
        for _ in 0..<3 where last.status != 0 {
            last = try SweepHarness.run(["resume", dir + "/run"], mark: mark, environment: objective)
        }
        #expect(last.status == 0, "\(c): \(last.output)")
        try SweepHarness.expectWhole(dir + "/run", ledger: dir + "/ledger", shape: c.shape, mark: mark, c.description)
        return crashed
    }

    @Test func everyCrashPointOfEveryProgramSweepShape() async throws {
        // Cases run a few at a time in child tasks (they mostly wait on small processes); child
        // tasks keep the test's context, so every expectation in them counts.
        let lanes = 3
        let unreached = try await withThrowingTaskGroup(of: [String].self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    var missed: [String] = []
                    for (index, c) in Self.cases.enumerated() where index % lanes == lane {
                        if try !Self.run(c) { missed.append(c.description) }
                    }
                    return missed
                }
            }
            return try await group.reduce([], +)
        }
        print("sweep crash points: \(Self.cases.count) (point, pass, shape) cases, \(Self.cases.count - unreached.count) crashed "
              + "where aimed; never reached: \(unreached.sorted())")
        // Only early termination passes stop-decided, and only one shape terminates early.
        #expect(unreached.allSatisfy { $0.contains("stop-decided") && !$0.contains("hyperband") }, "\(unreached)")
    }

    /// The training trial's path: each point once, on a tiny data set, 1-rank trials.
    @Test(.enabled(if: TrainingFixtures.haveFashion, "Fashion-MNIST not installed"))
    func everyCrashPointOfATrainingSweep() throws {
        var reached = 0
        let points = ["coordinator", "supervisor"].flatMap { role in
            CrashPoint.points[role]!.filter { !Self.pausePoints.contains($0) }.map { (role, $0) }
        }
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
            // The second trial (lr 0.0001) is behind the first at epoch 1 and is stopped there,
            // unless it reached its end before the stop did (then it finished, with both epochs).
            let byID = Dictionary(uniqueKeysWithValues: trials.map { ($0["id"] as? Int ?? 0, $0) })
            #expect(byID[1]?["status"] as? String == "finished" && byID[1]?["epochs"] as? Int == 2, "\(role):\(point): \(trials)")
            let second = (byID[2]?["status"] as? String ?? "?", byID[2]?["epochs"] as? Int ?? 0)
            #expect(second.0 == "stopped" || (second.0 == "finished" && second.1 == 2), "\(role):\(point): \(trials)")
            #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty, "\(role):\(point): \(SweepHarness.leftovers(mark))")
        }
        print("training sweep crash points: \(points.count) points, \(reached) crashed where aimed")
        #expect(reached == points.count)
    }
}
