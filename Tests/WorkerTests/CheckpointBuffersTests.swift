// Checkpoints with non-trained buffers: batch norm's running statistics saved beside the
// parameters with PyTorch's names and dtypes (num_batches_tracked as I64 []) and restored exactly.
import Foundation
import Model
import Testing
@testable import Worker

@Suite("Checkpoint buffers")
struct CheckpointBuffersTests {
    /// A network with a batch-norm layer whose running statistics have moved.
    static func trainedNetwork() -> Sequential {
        let network = Sequential(layers: [Dense(name: "fc", inputs: 3, outputs: 4), BatchNorm(name: "bn", inputShape: [4])], seed: 2)
        let x: [Float] = (0..<15).map { Float($0 % 5) * 0.7 - 1 }
        for _ in 0..<3 { _ = x.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: 5, context: ForwardContext(training: true)) } }
        return network
    }

    static func values(_ buffers: [ModelBuffer]) -> [String] {
        buffers.map { buffer in
            switch buffer.storage {
            case .float(let v): return "\(buffer.name)=\(Array(v))"
            case .int64(let v): return "\(buffer.name)=\(v.pointee)"
            }
        }
    }

    static func save(_ network: Sequential, to folder: CheckpointFolder) throws -> String {
        let state = CheckpointState(position: TrainingPosition(globalStep: 3), learningRate: 0.1, seed: 1, worldSize: 1, configHash: "h")
        return try folder.store.save(layout: network.store.entries, parameters: UnsafeBufferPointer(network.store.parameters.buffer),
                                     optimizerState: [], optimizerStepCount: 3, state: state, buffers: network.buffers)
    }

    @Test("running statistics round-trip through model.safetensors with PyTorch's names and dtypes")
    func roundTrip() throws {
        let folder = CheckpointFolder()
        let network = Self.trainedNetwork()
        let name = try Self.save(network, to: folder)
        let reader = try SafetensorsReader(path: folder.file(name, CheckpointStore.modelFile))
        let tracked = try #require(reader.entry(named: "bn.num_batches_tracked"))
        #expect(tracked.dtype == .i64 && tracked.shape == [])
        #expect(reader.entry(named: "bn.running_var")?.dtype == .f32 && reader.entry(named: "bn.running_var")?.shape == [4])

        let fresh = Sequential(layers: [Dense(name: "fc", inputs: 3, outputs: 4), BatchNorm(name: "bn", inputShape: [4])], seed: 9)
        let loaded = try folder.store.load(name, layout: fresh.store.entries, buffers: fresh.buffers)
        loaded.copyParameters(into: fresh.store)
        loaded.copyBuffers(into: fresh.buffers)
        #expect(Self.values(fresh.buffers) == Self.values(network.buffers))
        #expect(Self.values(fresh.buffers).contains("bn.num_batches_tracked=3"))
        #expect(fresh.store.parameters.array == network.store.parameters.array)
    }

    @Test("a checkpoint without the buffers the model keeps, or with ones it does not, is a layout mismatch")
    func missingOrUnexpectedBuffers() throws {
        let folder = CheckpointFolder()
        let network = Self.trainedNetwork()
        let name = try Self.save(network, to: folder)
        let error = #expect(throws: CheckpointError.self) { try folder.store.load(name, layout: network.store.entries) }
        #expect(error?.code == .layoutMismatch && error?.message.contains("bn.running_mean") == true, "\(String(describing: error))")

        let other = CheckpointFolder()
        let state = CheckpointState(position: TrainingPosition(globalStep: 3), learningRate: 0.1, seed: 1, worldSize: 1, configHash: "h")
        try other.store.save(layout: network.store.entries, parameters: UnsafeBufferPointer(network.store.parameters.buffer),
                             optimizerState: [], optimizerStepCount: 3, state: state)
        let missing = #expect(throws: CheckpointError.self) {
            try other.store.load(name, layout: network.store.entries, buffers: network.buffers)
        }
        #expect(missing?.code == .layoutMismatch && missing?.message.contains("is missing") == true, "\(String(describing: missing))")
    }
}
