// MemoryEstimate: what one rank of a job needs in memory — parameters, gradients, optimizer state,
// each layer's buffers (attention scores included), confusion matrices, batches and the data.
import Foundation
import Model

/// An upper-ish estimate of one rank's memory, by part, so a job too big for its host is refused
/// before anything large is allocated.
public struct MemoryEstimate: Sendable {
    /// One part of the estimate: a layer (by its name) or a shared buffer.
    public struct Part: Sendable, Equatable {
        /// What the bytes are for, e.g. `layer attn` or `data`.
        public var name: String
        /// Bytes this part needs.
        public var bytes: Double
    }

    /// Every part, layers first (in order), then the parameter buffers, batches, metrics and data.
    public let parts: [Part]
    /// Parameters in the model.
    public let parameterCount: Int

    /// Bytes every process spends before its job (Swift runtime, OpenBLAS, MPI): 64 MiB.
    public static let runtimeBytes = 64.0 * 1_048_576

    /// The estimate for `job` with `layers` (built from the data, without parameter storage) on
    /// `data`, run by `ranks` ranks. Layers keep forward buffers at the larger of the training and
    /// evaluation batches, and backward buffers at the training batch.
    public init(job: TrainingJob, layers: [Layer], data: DataSplits, ranks: Int) {
        let localBatch = max(1, job.batchSize / max(1, ranks * job.accumulate))
        let largestSplit = max(data.validation?.count ?? 0, data.test?.count ?? 0)
        let evaluationBatch = min(job.evaluationBatch, (largestSplit + ranks - 1) / max(1, ranks))
        let forwardBatch = max(localBatch, evaluationBatch)
        var parts: [Part] = layers.map { layer in
            let forward = layer.activationFloats(batch: forwardBatch, training: false)
            let backward = layer.activationFloats(batch: localBatch, training: true) - layer.activationFloats(batch: localBatch, training: false)
            return Part(name: "layer \(layer.name)", bytes: 4 * (forward + max(0, backward)))
        }
        let parameterCount = layers.reduce(0) { $0 + $1.parameterRequests.reduce(0) { $0 + $1.shape.reduce(1, *) } }
        self.parameterCount = parameterCount
        // Values, gradients, one exchange/checkpoint copy, and the optimizer's per-parameter state:
        // with the sharded update each rank keeps the state of its 1/N shard only. Rank 0 holds
        // the whole state once more while it saves a checkpoint (gathered from the shards, or
        // copied for the writer).
        let stateCopies: Double = job.optimizer.kind == .sgd ? 1 : 2
        let stateBytes = 4 * Double(parameterCount) * stateCopies
        let shards = job.averaging == .sharded ? Double(max(1, ranks)) : 1
        parts.append(Part(name: "parameters, gradients and an exchange copy", bytes: 4 * Double(parameterCount) * 3))
        parts.append(Part(name: shards > 1 ? "optimizer state (this rank's 1/\(Int(shards)) shard)" : "optimizer state",
                          bytes: stateBytes / shards))
        checkpointSaveBytes = stateBytes
        let task = data.train.task
        let perSample = Double(data.train.featureCount + data.train.targetWidth + task.outputCount)
        parts.append(Part(name: "batch buffers", bytes: 4 * perSample * Double(localBatch + evaluationBatch)))
        if let classes = task.classCount {
            // The training window's, the evaluator's, and their copies for the cross-rank sum.
            parts.append(Part(name: "confusion matrices (\(classes) classes)", bytes: 4 * 8 * Double(classes) * Double(classes)))
        }
        let dataBytes = [data.train, data.validation, data.test].reduce(0.0) { sum, split in
            guard let split else { return sum }
            if let text = split.text { return sum + Double(text.bytes.count) }
            return sum + 4 * Double(split.features.count + split.targets.count)
        }
        parts.append(Part(name: "data", bytes: dataBytes))
        parts.append(Part(name: "runtime (Swift, OpenBLAS, MPI)", bytes: Self.runtimeBytes))
        self.parts = parts
        // Loading holds up to three copies of the data (decoded, normalised, split) before
        // training allocates anything: a peak of its own (docs/benchmarks.md has the measurement).
        loaderPeak = 3 * dataBytes + Self.runtimeBytes
    }

    /// Bytes while the data loads: three copies of it and the runtime.
    public let loaderPeak: Double

    /// Bytes rank 0 holds on top of `total` while it saves a checkpoint: the whole optimizer
    /// state, gathered from the ranks' shards or copied for the writer.
    public let checkpointSaveBytes: Double

    /// Bytes at the peak: training's parts together, or the loader's peak if that is higher.
    public var total: Double { max(parts.reduce(0) { $0 + $1.bytes }, loaderPeak) }

    /// The largest part.
    public var largest: Part { parts.max { $0.bytes < $1.bytes }! }

    /// One line for `validate`: the total and the largest part, and what this host has for
    /// `ranksOnHost` ranks when `available` is known.
    public func summary(available: Int?, ranksOnHost: Int) -> String {
        var line = "memory: about \(Self.human(total)) per rank (largest: \(largest.name), \(Self.human(largest.bytes)))"
        if checkpointSaveBytes > 0 {
            line += ", and \(Self.human(checkpointSaveBytes)) more on rank 0 while it saves (the whole optimizer state)"
        }
        if let available {
            line += "; this host has \(Self.human(Double(available))) available"
                + (ranksOnHost > 1 ? ", \(Self.human(Double(available) / Double(ranksOnHost))) for each of its \(ranksOnHost) ranks" : "")
        }
        return line
    }

    /// Refuses the job when one rank's share of `available` bytes (split among `ranksOnHost`
    /// ranks) is less than the estimate, or, on the host of rank 0 (`withRankZero`, default
    /// true), when the host's ranks and rank 0's checkpoint save together need more than `available`.
    /// - Throws: `TrainingError` with the estimate, the share and the largest part.
    public func check(available: Int, ranksOnHost: Int, withRankZero: Bool = true) throws {
        let share = Double(available) / Double(max(1, ranksOnHost))
        let saving = withRankZero ? checkpointSaveBytes : 0
        guard total > share || total * Double(max(1, ranksOnHost)) + saving > Double(available) else { return }
        throw TrainingError("the job needs about \(Self.human(total)) of memory per rank"
            + (saving > 0 ? " and \(Self.human(saving)) more on rank 0 while it saves" : "")
            + ", but this host has \(Self.human(Double(available))) available"
            + (ranksOnHost > 1 ? " for \(ranksOnHost) ranks (\(Self.human(share)) each)" : "")
            + "; the largest part is \(largest.name) with \(Self.human(largest.bytes)). Lower job.batch_size, job.evaluation_batch, "
            + "dataset.context or dataset.classes, use a smaller model, or run fewer ranks on this host")
    }

    /// Bytes in binary units with one decimal: `512 B`, `1.5 KiB` ... `16.0 TiB`, `2.0 PiB`.
    public static func human(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = bytes, unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(Int(value)) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
