// JobDataCheck: every check of a job against its loaded data that must pass before step 1 — the
// batch split, the training split's size, the loss for the targets, token ids, memory — shared by train and validate.
import Foundation
import Model

/// The checks `Trainer` makes before it allocates anything, and `validate` makes the same way.
public enum JobDataCheck {
    /// Checks `job` on `data` for `ranks` ranks, `ranksOnHost` of them sharing this host's
    /// `available` bytes (nil: memory unknown, not checked), rank 0 among them when
    /// `withRankZero` (default true; its checkpoint saves then count too). Returns the memory estimate.
    /// - Throws: `TrainingError` naming the key and what would be valid; `ModelError` when the
    ///   layers do not fit the data.
    @discardableResult
    public static func check(_ job: TrainingJob, data: DataSplits, ranks: Int, ranksOnHost: Int,
                             available: Int?, withRankZero: Bool = true) throws -> MemoryEstimate {
        guard job.batchSize % (ranks * job.accumulate) == 0 else {
            throw TrainingError("job.batch_size \(job.batchSize) must be divisible by ranks × accumulate = \(ranks) × \(job.accumulate)")
        }
        if job.checkpoint.everySeconds > 0 && job.fp16Gradients && ranks > ControlElement.halfPrecisionRankLimit {
            throw TrainingError("job.checkpoint.every_seconds with job.gradient_compression: fp16 works with up to "
                                + "\(ControlElement.halfPrecisionRankLimit) ranks, not \(ranks); use every_steps, or gradient_compression: none")
        }
        guard data.train.count >= job.batchSize else {
            throw TrainingError("the training split has \(data.train.count) samples, fewer than one global batch of \(job.batchSize); lower job.batch_size or raise dataset.subset")
        }
        try checkLoss(job.lossKind(for: data.train.task), on: data.train)
        let layers = try job.model.layers(sampleShape: data.train.sampleShape, task: data.train.task)
        try checkTokenIDs(layers, in: [("training", data.train), ("validation", data.validation), ("test", data.test)])
        let estimate = MemoryEstimate(job: job, layers: layers, data: data, ranks: ranks)
        if let available { try estimate.check(available: available, ranksOnHost: ranksOnHost, withRankZero: withRankZero) }
        return estimate
    }

    /// Refuses token ids a first embedding layer cannot look up (outside 0..<vocab, or not whole)
    /// in any of the named `splits`.
    /// - Throws: `TrainingError` naming the split, the sample, the position and the valid ids.
    public static func checkTokenIDs(_ layers: [Layer], in splits: [(name: String, samples: Dataset?)]) throws {
        guard let embedding = layers.first as? Embedding else { return }
        for (split, samples) in splits {
            guard let samples, let bad = embedding.firstInvalidID(in: samples) else { continue }
            throw TrainingError("the \(split) data's sample \(bad.sample) holds \(bad.value) at position \(bad.position); "
                                + "model.layers[0] (embedding) takes whole token ids from 0 to \(embedding.vocab - 1)")
        }
    }

    /// Refuses a loss whose targets are not the data's: cross-entropy reads one class index per
    /// row, MSE and binary cross-entropy one real target per output (0 to 1 for the latter).
    /// - Throws: `TrainingError` naming `job.loss` and the losses valid for this data.
    public static func checkLoss(_ loss: LossKind, on train: Dataset) throws {
        let task = train.task
        let valid = LossKind.fitting(task)
        guard valid.contains(loss) else {
            let data: String
            switch task {
            case .classification(let classes): data = "classification data (\(classes) classes, one class index per sample)"
            case .regression(let outputs): data = "regression data (\(outputs) real-valued target\(outputs == 1 ? "" : "s") per sample)"
            case .languageModel: data = "text data (a next-byte language model, one byte index per position)"
            }
            let reads = loss == .crossEntropy ? "one class index per sample" : "one target per model output"
            throw TrainingError("job.loss: \(loss.rawValue) reads \(reads), but this is \(data); valid for this data: "
                                + valid.map(\.rawValue).joined(separator: ", ") + " (or leave loss out for the task's default)")
        }
        if loss == .binaryCrossEntropy, let bad = train.targets.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw TrainingError("job.loss: binary_cross_entropy needs targets from 0 to 1, but the data's sample "
                                + "\(bad / train.targetWidth) holds \(train.targets[bad]); valid for these targets: mse")
        }
    }
}
