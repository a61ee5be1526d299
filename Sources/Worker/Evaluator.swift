// Evaluator: loss and metrics of a network on a dataset, sharded over the ranks (rank r takes
// samples r, r+N, ...) and summed with one collective, so every rank gets the global result.
import Collective
import Foundation
import Model

/// Loss and metrics over a whole dataset.
public struct EvaluationResult: Sendable {
    /// Mean loss per sample.
    public var loss: Double
    /// Samples evaluated (all ranks together).
    public var count: Int
    /// Confusion-matrix metrics, for classification.
    public var classification: ClassificationMetrics?
    /// Error metrics, for regression.
    public var regression: RegressionMetrics?
    /// For a byte-level language model: the loss in bits per byte (`loss / ln 2`); nil otherwise.
    public var bitsPerByte: Double? = nil

    /// Accuracy for classification, nil for regression.
    public var accuracy: Double? { classification?.accuracy }
}

/// Runs forward passes in evaluation mode and reduces the results across ranks.
public final class Evaluator {
    private let features = FloatBuffer()
    private let targets = FloatBuffer()
    private let lossGradient = FloatBuffer()
    private var indices: [Int] = []

    public init() {}

    /// Evaluates `network` on `dataset` in batches of `batchSize`.
    public func evaluate(_ network: Sequential, on dataset: Dataset, loss: LossKind, batchSize: Int,
                         collectives: Collectives) throws -> EvaluationResult {
        let width = network.outputWidth
        features.resize(batchSize * dataset.featureCount)
        targets.resize(batchSize * dataset.targetWidth)
        lossGradient.resize(batchSize * width)
        var classification: ClassificationMetrics?
        var regression: RegressionMetrics?
        switch dataset.task {
        case .classification(let classes), .languageModel(let classes, _): classification = ClassificationMetrics(classes: classes)
        case .regression: regression = RegressionMetrics()
        }
        let rows = dataset.task.predictionsPerSample   // a language model is scored at every position
        var lossSum = 0.0, localCount = 0
        var start = collectives.rank
        while start < dataset.count {
            indices.removeAll(keepingCapacity: true)
            var i = start
            while i < dataset.count && indices.count < batchSize {
                indices.append(i)
                i += collectives.size
            }
            start = i
            let batch = indices.count
            dataset.gather(indices[...], features: features.pointer, targets: targets.pointer)
            let out = network.forward(features.pointer, batch: batch, context: ForwardContext(training: false))
            let mean = loss.evaluate(outputs: out, targets: targets.pointer, targetCount: batch * dataset.targetWidth, batch: batch * rows, width: width / rows,
                                     gradient: lossGradient.pointer)
            lossSum += mean * Double(batch)
            localCount += batch
            classification?.record(logits: out, labels: targets.pointer, batch: batch * rows, classes: width / rows)
            regression?.record(predictions: out, targets: targets.pointer, count: batch * width)
        }
        // One reduction: [loss sum, count, metric counts...].
        let local = [lossSum, Double(localCount)] + (classification?.counts ?? regression?.counts ?? [])
        let total = try collectives.sum(local)
        let metricCounts = Array(total[2...])
        if let c = classification { classification = ClassificationMetrics(classes: c.classes, counts: metricCounts) }
        if regression != nil { regression = RegressionMetrics(counts: metricCounts) }
        let count = Int(total[1])
        var result = EvaluationResult(loss: count > 0 ? total[0] / total[1] : .nan, count: count,
                                      classification: classification, regression: regression)
        if case .languageModel = dataset.task { result.bitsPerByte = result.loss / log(2) }
        return result
    }
}
