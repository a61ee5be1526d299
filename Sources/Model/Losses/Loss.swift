// Loss: the training objectives — softmax cross-entropy and binary cross-entropy from logits,
// and mean squared error — each returning the batch loss and writing dLoss/dOutput.
import Foundation

/// A loss function over a batch of network outputs `[batch, width]` and targets.
public enum LossKind: String, Sendable, CaseIterable {
    /// Softmax cross-entropy from logits; targets hold one class index per row of `width` logits.
    /// A language model is scored as `batch × context` rows of `vocab` logits (the mean over
    /// every token of the batch).
    case crossEntropy = "cross_entropy"
    /// Sigmoid binary cross-entropy from logits; targets hold 0/1 per output.
    case binaryCrossEntropy = "binary_cross_entropy"
    /// Mean squared error (mean over samples and outputs); targets hold real values.
    case meanSquaredError = "mse"

    /// Computes the mean loss over the batch and writes its gradient, multiplied by
    /// `gradientScale` (e.g. 1/K under K-step gradient accumulation), into `gradient`.
    /// `targetCount` is how many targets `targets` holds for the batch; it must be what this loss
    /// reads (`targetCount(batch:width:)`). Returns the mean loss (in Double, summed stably).
    public func evaluate(outputs: UnsafePointer<Float>, targets: UnsafePointer<Float>, targetCount: Int,
                         batch: Int, width: Int, gradient: UnsafeMutablePointer<Float>,
                         gradientScale: Float = 1) -> Double {
        precondition(batch > 0, "loss of an empty batch")
        precondition(targetCount == self.targetCount(batch: batch, width: width),
                     "\(rawValue) reads \(self.targetCount(batch: batch, width: width)) targets for \(batch) rows of \(width), given \(targetCount)")
        switch self {
        case .crossEntropy:
            return Self.softmaxCrossEntropy(outputs, targets, batch, width, gradient, gradientScale / Float(batch))
        case .binaryCrossEntropy:
            return Self.binaryCrossEntropy(outputs, targets, batch * width, gradient, gradientScale / Float(batch * width))
        case .meanSquaredError:
            return Self.meanSquared(outputs, targets, batch * width, gradient, gradientScale / Float(batch * width))
        }
    }

    /// Targets this loss reads for `batch` rows of `width` outputs: one class index per row for
    /// cross-entropy, one value per output otherwise.
    public func targetCount(batch: Int, width: Int) -> Int {
        self == .crossEntropy ? batch : batch * width
    }

    /// The losses whose targets fit `task`'s: cross-entropy for class indices (classification,
    /// language models); MSE or binary cross-entropy for one real target per output (regression).
    public static func fitting(_ task: LearningTask) -> [LossKind] {
        switch task {
        case .classification, .languageModel: return [.crossEntropy]
        case .regression: return [.meanSquaredError, .binaryCrossEntropy]
        }
    }

    /// −log softmax(z)[label], via the log-sum-exp of the max-shifted logits.
    private static func softmaxCrossEntropy(_ z: UnsafePointer<Float>, _ t: UnsafePointer<Float>, _ batch: Int,
                                            _ classes: Int, _ g: UnsafeMutablePointer<Float>, _ scale: Float) -> Double {
        var total = 0.0
        for b in 0..<batch {
            let row = z + b * classes, grad = g + b * classes
            let label = Int(t[b])
            precondition(label >= 0 && label < classes, "class label \(label) outside 0..<\(classes)")
            var m = row[0]
            for j in 1..<classes { m = max(m, row[j]) }
            var sum: Float = 0
            for j in 0..<classes {
                let e = expf(row[j] - m)
                grad[j] = e
                sum += e
            }
            let inv = 1 / sum
            for j in 0..<classes { grad[j] *= inv * scale }
            grad[label] -= scale
            total += Double(logf(sum) + m - row[label])
        }
        return total / Double(batch)
    }

    /// max(z,0) − z·t + log(1 + e^−|z|): stable for any logit.
    private static func binaryCrossEntropy(_ z: UnsafePointer<Float>, _ t: UnsafePointer<Float>, _ n: Int,
                                           _ g: UnsafeMutablePointer<Float>, _ scale: Float) -> Double {
        var total = 0.0
        for i in 0..<n {
            let x = z[i], y = t[i]
            total += Double(max(x, 0) - x * y + log1pf(expf(-abs(x))))
            let p = x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x))
            g[i] = (p - y) * scale
        }
        return total / Double(n)
    }

    private static func meanSquared(_ z: UnsafePointer<Float>, _ t: UnsafePointer<Float>, _ n: Int,
                                    _ g: UnsafeMutablePointer<Float>, _ scale: Float) -> Double {
        var total = 0.0
        for i in 0..<n {
            let d = z[i] - t[i]
            total += Double(d * d)
            g[i] = 2 * d * scale
        }
        return total / Double(n)
    }
}
