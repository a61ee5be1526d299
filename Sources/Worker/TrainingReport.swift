// TrainingReport: what a training run reports — one record per epoch (or per evaluation of a
// steps budget) and a final summary — with the JSON form `train --json` prints and metrics.jsonl stores.
import Foundation

/// Metrics of one finished epoch, or of the steps since the previous evaluation of a steps
/// budget (global over all ranks).
public struct EpochReport: Sendable {
    /// 1-based epoch number; nil for a job budgeted in steps.
    public var epoch: Int?
    /// For a job budgeted in steps: 1-based index of this evaluation (every `eval_every` steps,
    /// and the last step), the unit of a sweep's early termination; nil for an epochs job.
    public var evaluation: Int?
    /// Optimizer steps taken since the start of training.
    public var step: Int
    /// Mean training loss over the epoch's steps (the steps since the previous report).
    public var loss: Double
    /// Training accuracy over the epoch (classification only; dropout active).
    public var trainAccuracy: Double?
    /// Validation loss and accuracy, when there is a validation split.
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    /// Global training throughput over the epoch, excluding evaluation.
    public var samplesPerSecond: Double
    /// Learning rate at the epoch's last step.
    public var learningRate: Double
    /// Wall time of the epoch's training steps, seconds.
    public var seconds: Double
    /// Steps skipped since the start of training because the averaged fp16 gradients were not
    /// finite; nil when gradients travel as fp32 (default nil).
    public var skippedSteps: Int? = nil
    /// Further metrics by name (e.g. `val_bpb`), written beside the others (default none).
    public var otherMetrics: [String: Double] = [:]

    /// The metrics a checkpoint records (and `keep_best` ranks by).
    public var checkpointMetrics: [String: Double] {
        var m = otherMetrics
        m["loss"] = loss
        if let trainAccuracy { m["train_acc"] = trainAccuracy }
        if let validationLoss { m["val_loss"] = validationLoss }
        if let validationAccuracy { m["val_acc"] = validationAccuracy }
        return m
    }

    /// The JSON object for this epoch.
    public var json: [String: Any] {
        var o: [String: Any] = ["step": step, "loss": loss, "samples_per_s": samplesPerSecond,
                                "lr": learningRate, "seconds": seconds]
        if let epoch { o["epoch"] = epoch }
        if let evaluation { o["evaluation"] = evaluation }
        if let trainAccuracy { o["train_acc"] = trainAccuracy }
        if let validationLoss { o["val_loss"] = validationLoss }
        if let validationAccuracy { o["val_acc"] = validationAccuracy }
        if let skippedSteps { o["skipped_steps"] = skippedSteps }
        for (name, value) in otherMetrics where o[name] == nil { o[name] = value }
        return o
    }

    /// The report's numbers as TensorBoard scalars, tagged with their metrics.jsonl names
    /// (`loss`, `val_acc`, `lr`, `samples_per_s`, ...), in name order.
    public var scalars: [(tag: String, value: Float)] { Self.scalars(of: json) }

    /// The numeric fields of a metrics line but its counters of position and time.
    static func scalars(of object: [String: Any]) -> [(tag: String, value: Float)] {
        object.keys.sorted().compactMap { key in
            guard !["step", "epoch", "evaluation", "seconds", "final", "epochs"].contains(key),
                  let number = object[key] as? NSNumber, !(object[key] is Bool) else { return nil }
            return (key, number.floatValue)
        }
    }
}

/// The end of a run: test metrics, when there is a test split.
public struct FinalReport: Sendable {
    /// Epochs trained; nil for a job budgeted in steps.
    public var epochs: Int?
    /// Optimizer steps trained.
    public var step: Int
    public var test: EvaluationResult?
    /// The last epoch's report (its validation metrics are repeated in the final line).
    public var lastEpoch: EpochReport?
    /// Mean global samples/s over all epochs.
    public var samplesPerSecond: Double

    /// The JSON object for the final line (`"final": true`).
    public var json: [String: Any] {
        var o: [String: Any] = ["final": true, "step": step, "samples_per_s": samplesPerSecond]
        if let epochs { o["epochs"] = epochs }
        if let e = lastEpoch {
            o["loss"] = e.loss
            if let a = e.trainAccuracy { o["train_acc"] = a }
            if let l = e.validationLoss { o["val_loss"] = l }
            if let a = e.validationAccuracy { o["val_acc"] = a }
            for (name, value) in e.otherMetrics where o[name] == nil { o[name] = value }
        }
        if let t = test {
            o["test_loss"] = t.loss
            if let b = t.bitsPerByte { o["test_bpb"] = b }
            if let c = t.classification {
                o["test_acc"] = c.accuracy
                if t.bitsPerByte == nil { o["test_macro_f1"] = c.macroF1 }
            }
            if let r = t.regression {
                o["test_mse"] = r.mse
                o["test_mae"] = r.mae
            }
        }
        return o
    }
}

/// One JSON object on one line, keys sorted; non-finite numbers become null, at any depth.
public func jsonLine(_ object: [String: Any]) -> String {
    func cleaned(_ value: Any) -> Any {
        switch value {
        case let d as Double: return d.isFinite ? d : NSNull()
        case let o as [String: Any]: return o.mapValues(cleaned)
        case let a as [Any]: return a.map(cleaned)
        default: return value
        }
    }
    let cleaned = object.mapValues(cleaned)
    guard let data = try? JSONSerialization.data(withJSONObject: cleaned, options: [.sortedKeys]),
          let text = String(data: data, encoding: .utf8) else { return "{}" }
    return text
}
