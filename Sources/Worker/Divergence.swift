// Divergence: a training run whose loss or weights stopped being finite — the policy
// (`job.on_nonfinite`), the first non-finite tensor, and the error and metrics line that report it.
import Foundation
import Model

/// What a run does when its training loss, or its weights after an update, are not finite.
public enum NonFinitePolicy: String, Sendable, CaseIterable {
    /// End the run (exit 1) at that step, naming the tensor, with a `diverged` metrics line;
    /// no checkpoint of the non-finite state is written. The default.
    case stop
    /// Train on, with one warning; non-finite checkpoints are still never written.
    case `continue`
}

/// The run diverged: every rank throws it at the same step (they agree through the gradient
/// exchange), rank 0 after writing the `diverged` line. Not a usage error: the run failed (exit 1).
public struct DivergenceError: Error, CustomStringConvertible, Sendable {
    /// The global step whose loss or update was not finite.
    public let step: Int
    /// `loss`, or the first non-finite tensor's layout name (e.g. `fc1.weight`, `bn1.running_mean`).
    public let tensor: String

    /// The message: what was not finite, at which step, and what to do.
    public var description: String {
        (tensor == "loss" ? "the training loss is not finite at step \(step)"
                          : "\(tensor) is not finite after the update of step \(step)")
            + "; the run diverged (job.on_nonfinite: stop). Its last finite checkpoint is kept: "
            + "lower the learning rate (or add optimizer.clip_norm) and resume or start again"
    }

    /// The metrics.jsonl line: `event` tells programs a divergence from a lost rank; it carries
    /// no `epoch`, so readers of progress lines skip it.
    public var json: [String: Any] { ["event": "diverged", "step": step, "tensor": tensor, "message": description] }
}

enum NonFinite {
    /// The first parameter tensor of `store` (layout order), then of `buffers`, holding a value
    /// that is not finite; nil when all are finite.
    static func firstTensor(in store: ParameterStore, buffers: [ModelBuffer]) -> String? {
        let values = store.parameters.buffer
        if !FiniteValues.all(UnsafeBufferPointer(values)) {
            for entry in store.entries
            where !FiniteValues.all(UnsafeBufferPointer(rebasing: values[entry.offset..<entry.offset + entry.count])) {
                return entry.name
            }
        }
        for buffer in buffers {
            guard case .float(let floats) = buffer.storage else { continue }
            if !FiniteValues.all(UnsafeBufferPointer(floats)) { return buffer.name }
        }
        return nil
    }
}
