// RetriedRungTests: a retried training trial's repeated epochs are judged at their rungs again
// (the sweep's other trials may have reached them meanwhile), and lines a resume keeps are not.
import Foundation
import Testing
@testable import Coordinator

@Suite(.serialized)
struct RetriedRungTests {
    /// One metrics.jsonl line of a tiny trial (10 steps per epoch).
    static func line(epoch: Int, valLoss: Double) -> String {
        #"{"epoch": \#(epoch), "step": \#(epoch * 10), "val_loss": \#(valLoss)}"# + "\n"
    }

    /// Replaces `path` as a resume does (a new file renamed over the old one).
    static func replace(_ path: String, with text: String) throws {
        try text.write(toFile: path + ".tmp", atomically: false, encoding: .utf8)
        #expect(rename(path + ".tmp", path) == 0)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        /// The checkpoint attempt 2 resumes from, and the lines its resume keeps.
        let checkpointStep: Int
        let kept: [Int]
        /// Whether trial 1 must be stopped once attempt 2 reports epoch 2.
        let stopped: Bool
        var testDescription: String { "resumed at step \(checkpointStep)" }
    }

    /// Trial 1 (worse) reports epochs 1 and 2 alone (it continues), fails, and trial 2 (better)
    /// reports epoch 1. Resumed before epoch 1's end, attempt 2 reports epoch 1 again: judged
    /// again, it is stopped. Resumed after it, epoch 1 is a kept line, not judged twice.
    @Test("a retried attempt's repeated rungs are judged, kept lines are not",
          arguments: [Case(checkpointStep: 5, kept: [], stopped: true), Case(checkpointStep: 10, kept: [1], stopped: false)])
    func retriedAttemptIsJudgedAtItsRepeatedRungs(_ c: Case) throws {
        let tiny = try TinyRun(epochs: 4)
        let text = try String(contentsOfFile: tiny.config, encoding: .utf8) + """

            sweep:
              method: grid
              metric: {name: val_loss, goal: minimize}
              parameters:
                optimizer.lr: {values: [0.002, 0.05]}
              early_terminate: {type: hyperband, min_iter: 1, eta: 2}
              parallel: 2
              max_retries: 1

            """
        try text.write(toFile: tiny.config, atomically: false, encoding: .utf8)
        let config = try RunConfig(file: try ConfigFile.load(path: tiny.config))
        let spec = try #require(try config.sweepSpec())
        let runner = try SweepRunner(config: config, spec: spec, runDirectory: tiny.dir + "/sweep")
        runner.quiet = true
        let ids = try runner.store.addTrials([["optimizer.lr": .double(0.002)], ["optimizer.lr": .double(0.05)]])
        try #require(ids == [1, 2])
        for id in ids { try FileManager.default.createDirectory(atPath: runner.trialDirectory(id), withIntermediateDirectories: true) }
        let metrics1 = runner.trialDirectory(1) + "/metrics.jsonl"
        func stopRequested() throws -> Bool { try #require(try runner.store.trials().first).stopRequested }

        // Attempt 1 of trial 1: alone at rungs 1 and 2, it continues; then it fails.
        #expect(try runner.store.markRunning(1) == 1)
        runner.active[1] = runner.launched(1, attempt: 1, process: nil, resumedAtStep: nil)
        try (Self.line(epoch: 1, valLoss: 0.9) + Self.line(epoch: 2, valLoss: 0.8)).write(toFile: metrics1, atomically: false, encoding: .utf8)
        try runner.readEpochs(1)
        #expect(try !stopRequested())
        runner.active[1] = nil
        _ = try runner.store.apply(.attemptFailed(TrialFailure(message: "exit status 1")), to: 1, from: .running)

        // Trial 2 reaches rung 1 with a better value.
        _ = try runner.store.markRunning(2)
        runner.active[2] = runner.launched(2, attempt: 1, process: nil, resumedAtStep: nil)
        try Self.line(epoch: 1, valLoss: 0.5).write(toFile: runner.trialDirectory(2) + "/metrics.jsonl", atomically: false, encoding: .utf8)
        try runner.readEpochs(2)

        // Attempt 2 of trial 1 resumes: its file is cut back to the checkpoint, then written on.
        #expect(try runner.store.markRunning(1) == 2)
        try FileManager.default.createDirectory(atPath: runner.trialDirectory(1) + "/checkpoints", withIntermediateDirectories: true)
        try String(format: "step-%08d\n", c.checkpointStep).write(toFile: runner.trialDirectory(1) + "/checkpoints/latest",
                                                                   atomically: false, encoding: .utf8)
        runner.active[1] = runner.launched(1, attempt: 2, process: nil, resumedAtStep: SweepRunner.checkpointStep(runner.trialDirectory(1)))
        try runner.readEpochs(1)   // before the resume cuts the file: nothing of attempt 2 yet
        #expect(try !stopRequested())
        let kept = c.kept.map { Self.line(epoch: $0, valLoss: 0.9) }.joined()
        try Self.replace(metrics1, with: kept)
        try runner.readEpochs(1)
        for epoch in (c.kept.count + 1)...2 {   // appended, as training writes them
            let handle = try #require(FileHandle(forWritingAtPath: metrics1))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(Self.line(epoch: epoch, valLoss: 0.9 - 0.1 * Double(epoch - 1)).utf8))
            try handle.close()
            try runner.readEpochs(1)
        }
        #expect(try stopRequested() == c.stopped)
        #expect(try runner.store.epochMetrics()[1]?.keys.sorted() == [1, 2])
    }
}
