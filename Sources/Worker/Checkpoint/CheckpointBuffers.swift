// CheckpointBuffers: a model's non-trained buffers (batch norm's running statistics) in
// checkpoints — written beside the parameters, range-checked on load, copied back into the layers.
import Model

/// Limits on buffer values read back from disk.
enum CheckpointBuffers {
    /// The largest counter accepted (2^40, like the step counts in state.json).
    static let maxCount: Int64 = 1 << 40
}

extension ModelBuffer {
    /// The buffer as a tensor to write (its memory is read during the write).
    var safetensorsSource: SafetensorsSource {
        switch storage {
        case .float(let values):
            return SafetensorsSource(name: name, shape: shape, values: UnsafeBufferPointer(values))
        case .int64(let value):
            return SafetensorsSource(name: name, shape: shape, int64Values: UnsafeBufferPointer(start: value, count: 1))
        }
    }
}

extension LoadedCheckpoint {
    /// Moves `buffers`' values out of the model file's tensors (their names, shapes and dtypes
    /// were verified against the header) and range-checks them: counters and variances are
    /// never negative (counters at most 2^40), statistics are finite.
    mutating func takeBuffers(_ buffers: [ModelBuffer], from model: VerifiedTensors, checkpoint: String) throws {
        func corrupt(_ message: String) -> CheckpointError {
            CheckpointError(.corrupt, checkpoint: checkpoint, file: CheckpointStore.modelFile, message)
        }
        for buffer in buffers {
            switch buffer.storage {
            case .float:
                guard let values = parameters.removeValue(forKey: buffer.name), values.count == buffer.count else {
                    throw corrupt("tensor '\(buffer.name)' is missing")
                }
                guard values.allSatisfy({ $0.isFinite }) else { throw corrupt("tensor '\(buffer.name)' holds values that are not finite") }
                if buffer.name.hasSuffix(".running_var"), let bad = values.first(where: { $0 < 0 }) {
                    throw corrupt("tensor '\(buffer.name)' holds the negative variance \(bad)")
                }
                floatBuffers[buffer.name] = values
            case .int64:
                guard let values = model.integers[buffer.name], values.count == 1 else { throw corrupt("tensor '\(buffer.name)' is missing") }
                guard (0...CheckpointBuffers.maxCount).contains(values[0]) else {
                    throw corrupt("tensor '\(buffer.name)' holds the count \(values[0]), outside 0...\(CheckpointBuffers.maxCount)")
                }
                integerBuffers[buffer.name] = values
            }
        }
    }

    /// Copies the loaded buffers into `buffers` (the model's own, as passed to `load`).
    public func copyBuffers(into buffers: [ModelBuffer]) {
        for buffer in buffers {
            switch buffer.storage {
            case .float(let target):
                guard let values = floatBuffers[buffer.name], values.count == target.count else {
                    preconditionFailure("checkpoint has no buffer \(buffer.name) of \(target.count) values")
                }
                _ = target.update(fromContentsOf: values)
            case .int64(let target):
                guard let value = integerBuffers[buffer.name]?.first else { preconditionFailure("checkpoint has no buffer \(buffer.name)") }
                target.pointee = value
            }
        }
    }
}
