// Helpers for the checkpoint tests: a throwaway checkpoints folder, a small model layout with
// deterministic values, and a one-call save of it at a given step.
import Foundation
import Model
@testable import Worker

/// A fresh temporary checkpoints folder, removed when the value is released.
final class CheckpointFolder {
    let path: String
    let store: CheckpointStore

    init(policy: CheckpointPolicy = CheckpointPolicy()) {
        path = NSTemporaryDirectory() + "ringtrain-ckpt-" + UUID().uuidString + "/checkpoints"
        store = CheckpointStore(directory: path, policy: policy)
    }

    deinit { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }

    /// The path of `file` inside checkpoint `name`.
    func file(_ name: String, _ file: String) -> String { "\(path)/\(name)/\(file)" }
}

/// A small two-layer model's layout.
func testParameterStore(seed: Float = 1) -> ParameterStore {
    let store = ParameterStore(layout: [("fc1.weight", [4, 3]), ("fc1.bias", [4]), ("fc2.weight", [2, 4]), ("fc2.bias", [2])])
    for i in 0..<store.count { store.parameters.pointer[i] = seed * Float(i) - 3.5 }
    return store
}

/// Saves `parameters` with a momentum-like optimizer state at `step`; returns the folder name.
@discardableResult
func saveTestCheckpoint(_ folder: CheckpointFolder, step: Int, parameters: ParameterStore = testParameterStore(),
                        metrics: [String: Double] = [:], configHash: String = "cfg-a") throws -> String {
    var state = CheckpointState(position: TrainingPosition(epoch: step / 10, stepInEpoch: step % 10, globalStep: step),
                                learningRate: 0.01, seed: 42, worldSize: 2, configHash: configHash, metrics: metrics)
    state.configStart = ConfigStart(stepsPerEpoch: 10)
    let momentum = (0..<parameters.count).map { Float($0) * 0.25 + Float(step) }
    return try folder.store.save(layout: parameters.entries, parameters: UnsafeBufferPointer(parameters.parameters.buffer),
                                 optimizerState: [("momentum", momentum)], optimizerStepCount: step, state: state)
}

/// Overwrites the bytes of `path` with `change` applied.
func editFile(_ path: String, _ change: (inout [UInt8]) -> Void) throws {
    var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    change(&bytes)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The length of the JSON header of the safetensors file `bytes`.
func headerLength(_ bytes: [UInt8]) -> Int {
    bytes[0..<8].enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
}
