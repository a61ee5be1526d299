// CheckpointCrashPointTests: a save stopped at every crash point of the checkpoint writer (first
// save, a re-save of the same step, a save that prunes) leaves `latest` naming a checkpoint that
// verifies, and the next save cleans up; plus pruning leaves folders it did not write alone.
import Foundation
import Model
import Testing
@testable import Worker

@Suite("Checkpoint crash points")
struct CheckpointCrashPointTests {
    enum Scenario: String, CaseIterable, Sendable { case firstSave, resave, prune }
    struct Case: CustomTestStringConvertible, Sendable {
        let scenario: Scenario
        let point: String
        var testDescription: String { "\(scenario.rawValue) @ \(point)" }
    }
    static let points = CrashPoint.points["checkpoint"]!
    static let cases = Scenario.allCases.flatMap { s in points.map { Case(scenario: s, point: $0) } }

    @Test("a save stopped at any point leaves latest naming a verified checkpoint", arguments: cases)
    func stopped(_ c: Case) throws {
        let folder = CheckpointFolder(policy: CheckpointPolicy(everyEpoch: true, keepLast: c.scenario == .prune ? 1 : 3))
        let layout = testParameterStore().entries
        switch c.scenario {
        case .firstSave: break
        case .resave, .prune: try saveTestCheckpoint(folder, step: 100)
        }
        folder.store.crashAfter = c.point
        let step = c.scenario == .resave ? 100 : 200
        var stopped = false
        do {
            try saveTestCheckpoint(folder, step: step, parameters: testParameterStore(seed: 3))
        } catch let error as CheckpointError where error.code == .simulatedCrash {
            stopped = true
        }
        // Points a scenario never passes: the folder already existed, nothing to prune or replace.
        let passes: Bool
        switch c.scenario {
        case .firstSave: passes = !c.point.hasPrefix("prune") && c.point != "old-removed"
        case .resave: passes = !c.point.hasPrefix("prune") && c.point != "checkpoints-folder-synced"
        case .prune: passes = c.point != "old-removed" && c.point != "checkpoints-folder-synced"
        }
        #expect(stopped == passes, "stopped: \(stopped)")
        if let latest = folder.store.latest() {
            let loaded = try folder.store.load(latest, layout: layout)
            #expect(loaded.name == latest)
        } else {
            #expect(c.scenario == .firstSave, "latest must exist once a checkpoint did")
        }
        #expect(folder.store.latestProblem() == nil)
        folder.store.crashAfter = nil
        try saveTestCheckpoint(folder, step: 300)
        #expect(!CheckpointFiles.contents(of: folder.path).contains { $0.hasPrefix(".tmp-") })
        #expect(try folder.store.loadNewestValid(layout: layout).name == "step-00000300")
    }

    @Test("pruning removes only folders the store wrote")
    func pruneLeavesForeignFolders() throws {
        let folder = CheckpointFolder(policy: CheckpointPolicy(everyEpoch: true, keepLast: 1))
        try FileManager.default.createDirectory(atPath: folder.path + "/step-00000001", withIntermediateDirectories: true)
        try Data("my notes".utf8).write(to: URL(fileURLWithPath: folder.path + "/step-00000001/notes.txt"))
        try Data("mine".utf8).write(to: URL(fileURLWithPath: folder.path + "/.tmp-mine"))
        try saveTestCheckpoint(folder, step: 10)
        try saveTestCheckpoint(folder, step: 20)
        #expect(FileManager.default.fileExists(atPath: folder.path + "/step-00000001/notes.txt"))
        #expect(FileManager.default.fileExists(atPath: folder.path + "/.tmp-mine"))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/step-00000010"))
    }

    @Test("latest linked to a file outside the run is not followed and its contents never appear in an error")
    func latestOutside() throws {
        let folder = CheckpointFolder()
        let secret = (folder.path as NSString).deletingLastPathComponent + "/secret.txt"
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        try Data("step-00000001 TOP-SECRET-CONTENTS\n".utf8).write(to: URL(fileURLWithPath: secret))
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/latest", withDestinationPath: secret)
        try FileManager.default.createDirectory(atPath: folder.path + "/step-00000001", withIntermediateDirectories: true)
        #expect {
            try folder.store.loadNewestValid(layout: testParameterStore().entries)
        } throws: { error in
            let text = "\(error)"
            return !text.contains("TOP-SECRET") && text.contains("latest: is a symbolic link")
        }
        try FileManager.default.removeItem(atPath: folder.path + "/latest")
        try Data("../../etc TOP-SECRET\n".utf8).write(to: URL(fileURLWithPath: folder.path + "/latest"))
        #expect(folder.store.latest() == nil)
        #expect(folder.store.latestProblem()?.contains("TOP-SECRET") == false)
    }

    @Test("resume refuses optimizer tensors that differ from the configured optimizer's, naming them, unless reset")
    func optimizerMismatch() throws {
        let folder = CheckpointFolder()
        let name = try saveTestCheckpoint(folder, step: 5)
        let loaded = try folder.store.load(name, layout: testParameterStore().entries)
        #expect {
            _ = try TrainingSession.checkOptimizerTensors(loaded, expected: ["m", "v"], optimizer: "adam", reset: false, directory: "run/checkpoints")
        } throws: { error in
            let text = "\(error)"
            return text.contains("[momentum]") && text.contains("(adam) keeps [m, v]") && text.contains("--reset-optimizer")
        }
        #expect(try TrainingSession.checkOptimizerTensors(loaded, expected: ["m", "v"], optimizer: "adam", reset: true, directory: "d"))
        #expect(try !TrainingSession.checkOptimizerTensors(loaded, expected: ["momentum"], optimizer: "sgd", reset: false, directory: "d"))
    }
}
