// CheckpointStore tests: save and load round trip, folder and `latest` layout, retention,
// stale temp removal, layout and config checks, fallback to older checkpoints, and atomicity.
import Foundation
import Model
import Testing
@testable import Worker

@Suite("Checkpoint store")
struct CheckpointStoreTests {
    @Test("save then load gives back parameters, optimizer state, step count and state")
    func roundTrip() throws {
        let folder = CheckpointFolder()
        let parameters = testParameterStore(seed: 0.5)
        let name = try saveTestCheckpoint(folder, step: 1200, parameters: parameters, metrics: ["val_loss": 0.25, "odd": .nan])
        #expect(name == "step-00001200")
        #expect(folder.store.latest() == name)
        #expect(try String(contentsOfFile: folder.path + "/latest", encoding: .utf8) == "step-00001200\n")
        let loaded = try folder.store.loadNewestValid(layout: parameters.entries, configHash: "cfg-a")
        #expect(loaded.name == name && loaded.skipped.isEmpty && !loaded.configChanged)
        let restored = ParameterStore(layout: parameters.entries.map { ($0.name, $0.shape) })
        loaded.copyParameters(into: restored)
        #expect(restored.parameters.array == parameters.parameters.array)
        #expect(loaded.optimizerTensors["momentum"] == (0..<parameters.count).map { Float($0) * 0.25 + 1200 })
        #expect(loaded.optimizerStepCount == 1200)
        #expect(loaded.state.position == TrainingPosition(epoch: 120, stepInEpoch: 0, globalStep: 1200))
        #expect(loaded.state.learningRate == 0.01 && loaded.state.seed == 42 && loaded.state.worldSize == 2)
        #expect(loaded.state.metrics["val_loss"] == 0.25 && loaded.state.metrics["odd"]!.isNaN)
        #expect(Set(loaded.state.files.keys) == ["model.safetensors", "optimizer.safetensors"])
        #expect(loaded.state.files["model.safetensors"]?.sha256.count == 64)
    }

    @Test("an optimizer without state (plain SGD) saves and loads an empty optimizer file")
    func emptyOptimizerState() throws {
        let folder = CheckpointFolder()
        let parameters = testParameterStore()
        let state = CheckpointState(position: TrainingPosition(globalStep: 3), learningRate: 0.1, seed: 1, worldSize: 1, configHash: "h")
        try folder.store.save(layout: parameters.entries, parameters: UnsafeBufferPointer(parameters.parameters.buffer),
                              optimizerState: [], optimizerStepCount: 3, state: state)
        let loaded = try folder.store.load("step-00000003", layout: parameters.entries)
        #expect(loaded.optimizerTensors.isEmpty && loaded.optimizerStepCount == 3)
    }

    @Test("keep_last and keep_best: the newest N and the best N survive, and latest always")
    func retention() throws {
        let folder = CheckpointFolder(policy: CheckpointPolicy(keepLast: 2, keepBest: 1, bestMetric: "val_loss", bestGoal: .min))
        let losses = [100: 0.9, 200: 0.3, 300: 0.5, 400: 0.7, 500: 0.8]
        for step in losses.keys.sorted() { try saveTestCheckpoint(folder, step: step, metrics: ["val_loss": losses[step]!]) }
        #expect(folder.store.list().map(\.step) == [200, 400, 500])
        #expect(folder.store.latest() == "step-00000500")
    }

    @Test("a stale temp folder from a crashed save is removed by the next save")
    func staleTemporariesRemoved() throws {
        let folder = CheckpointFolder()
        try saveTestCheckpoint(folder, step: 1)
        try FileManager.default.createDirectory(atPath: folder.path + "/.tmp-step-00000002-999", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder.path + "/.tmp-step-00000002-999/model.safetensors"))
        try saveTestCheckpoint(folder, step: 3)
        #expect(!CheckpointFiles.contents(of: folder.path).contains { $0.hasPrefix(".tmp-") })
    }

    @Test("saving the same step twice replaces the checkpoint")
    func sameStepTwice() throws {
        let folder = CheckpointFolder()
        try saveTestCheckpoint(folder, step: 7, parameters: testParameterStore(seed: 1))
        let second = testParameterStore(seed: 2)
        try saveTestCheckpoint(folder, step: 7, parameters: second)
        let loaded = try folder.store.loadNewestValid(layout: second.entries)
        #expect(loaded.parameters["fc1.weight"] == Array(second.view("fc1.weight")!.value))
        #expect(folder.store.list().map(\.name) == ["step-00000007"])
    }

    @Test("a changed model shape is a layout mismatch, never accepted")
    func layoutMismatch() throws {
        let folder = CheckpointFolder()
        let name = try saveTestCheckpoint(folder, step: 5)
        let wider = ParameterStore(layout: [("fc1.weight", [5, 3]), ("fc1.bias", [5]), ("fc2.weight", [2, 5]), ("fc2.bias", [2])])
        #expect { try folder.store.load(name, layout: wider.entries, configHash: "cfg-b", acceptConfigChange: true) } throws: { error in
            let e = error as! CheckpointError
            return e.code == .layoutMismatch && e.file == "model.safetensors" && "\(e)".contains("fc1.weight")
        }
    }

    @Test("a changed config with the same shape is reported as such, and can be accepted")
    func configChanged() throws {
        let folder = CheckpointFolder()
        let name = try saveTestCheckpoint(folder, step: 5, configHash: "cfg-a")
        let layout = testParameterStore().entries
        #expect { try folder.store.load(name, layout: layout, configHash: "cfg-b") } throws: { error in
            let e = error as! CheckpointError
            return e.code == .configChanged && e.configHashes?.saved == "cfg-a" && e.configHashes?.expected == "cfg-b"
        }
        #expect(try folder.store.load(name, layout: layout, configHash: "cfg-b", acceptConfigChange: true).configChanged)
    }

    @Test("loadNewestValid skips a corrupt latest, naming it and why, and loads the next newest")
    func fallsBackToOlder() throws {
        let folder = CheckpointFolder()
        try saveTestCheckpoint(folder, step: 10)
        try saveTestCheckpoint(folder, step: 20)
        try editFile(folder.file("step-00000020", "model.safetensors")) { $0[$0.count - 3] ^= 0x40 }
        let loaded = try folder.store.loadNewestValid(layout: testParameterStore().entries)
        #expect(loaded.name == "step-00000010")
        #expect(loaded.skipped.map(\.name) == ["step-00000020"])
        #expect(loaded.skipped.first?.reason.contains("model.safetensors: SHA-256") == true)
    }

    @Test("no checkpoints at all, and none valid, are distinct clear errors")
    func noneValid() throws {
        let folder = CheckpointFolder()
        let layout = testParameterStore().entries
        #expect { try folder.store.loadNewestValid(layout: layout) } throws: { ($0 as! CheckpointError).code == .noCheckpoint }
        try saveTestCheckpoint(folder, step: 1)
        try FileManager.default.removeItem(atPath: folder.file("step-00000001", "optimizer.safetensors"))
        #expect { try folder.store.loadNewestValid(layout: layout) } throws: { error in
            let e = error as! CheckpointError
            return e.code == .noValidCheckpoint && e.skipped.count == 1
                && "\(e)".contains("step-00000001: optimizer.safetensors: file is missing")
        }
    }

    @Test("the newest step by the folder names: latest when its folder is there, else the newest folder")
    func newestStepByNames() throws {
        let dir = NSTemporaryDirectory() + "newest-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["step-00000002", "step-00000004", ".tmp-step-00000006-1-1"] {
            try FileManager.default.createDirectory(atPath: dir + "/" + name, withIntermediateDirectories: true)
        }
        let store = CheckpointStore(directory: dir)
        #expect(store.newestStep() == 4, "no latest: the newest folder")
        try "step-00000099\n".write(toFile: dir + "/latest", atomically: true, encoding: .utf8)
        #expect(store.newestStep() == 4, "latest names a folder that is not there")
        try "step-00000002\n".write(toFile: dir + "/latest", atomically: true, encoding: .utf8)
        #expect(store.newestStep() == 2)
    }
}
