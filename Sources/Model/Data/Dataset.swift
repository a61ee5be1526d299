// Dataset: samples held as one flat row-major Float array of features and one of targets (or, for
// text, windows cut from a byte array on demand), with their task; plus DataSplits, a run's splits.
import CSIMD

/// What the targets mean.
public enum LearningTask: Sendable, Equatable {
    /// One class index in `0..<classes` per sample, stored as a Float (target width 1).
    case classification(classes: Int)
    /// `outputs` real-valued targets per sample.
    case regression(outputs: Int)
    /// Next-token prediction: a sample is `context` token ids, its targets the next token at each
    /// position (`context` ids in `0..<vocab`); the model outputs `[context, vocab]` logits.
    case languageModel(vocab: Int, context: Int)

    /// Values the model outputs per sample: one logit per class, or one per regression target.
    public var outputCount: Int {
        switch self {
        case .classification(let classes): return classes
        case .regression(let outputs): return outputs
        case .languageModel(let vocab, let context): return vocab * context
        }
    }

    /// The per-sample shape the model's last layer must produce: `[classes]`, `[outputs]`, or
    /// `[context, vocab]` for a language model.
    public var outputShape: [Int] {
        switch self {
        case .classification(let classes): return [classes]
        case .regression(let outputs): return [outputs]
        case .languageModel(let vocab, let context): return [context, vocab]
        }
    }

    /// Floats per sample in `Dataset.targets`: 1 for classification, `outputs` for regression,
    /// `context` for a language model.
    public var targetWidth: Int {
        switch self {
        case .classification: return 1
        case .regression(let outputs): return outputs
        case .languageModel(_, let context): return context
        }
    }

    /// Rows the loss sees per sample: 1, or `context` for a language model (one prediction per
    /// position), so a batch of B samples is scored as `B × predictionsPerSample` rows.
    public var predictionsPerSample: Int {
        if case .languageModel(_, let context) = self { return context }
        return 1
    }

    /// The classes accuracy is counted over: the classes, the vocabulary (token accuracy), or nil
    /// for regression.
    public var classCount: Int? {
        switch self {
        case .classification(let classes): return classes
        case .regression: return nil
        case .languageModel(let vocab, _): return vocab
        }
    }
}

/// A set of samples in memory.
public struct Dataset: Sendable {
    /// `count × featureCount` values, row-major (sample after sample); empty for text, whose
    /// samples are cut from `text` when gathered.
    public var features: [Float]
    /// `count × targetWidth` values; for classification the class index as a Float; empty for text.
    public var targets: [Float]
    /// The byte windows of a text dataset (features and targets gathered from them), or nil.
    public private(set) var text: TextWindows?
    /// Shape of one sample: `[channels, height, width]` (e.g. `[1, 28, 28]`) for IDX images,
    /// `[D]` for tabular data; for NumPy arrays the array's shape after axis 0, with `[H, W]` and
    /// `[H, W, 1]` given as `[1, H, W]` (multi-channel images stay `[H, W, C]`, as stored).
    public var sampleShape: [Int]
    /// Classification or regression, with the number of classes or outputs.
    public var task: LearningTask
    /// Class names for CSV string labels, indexed by class; nil for numeric labels.
    public var classNames: [String]?

    /// Creates a dataset; `classNames` defaults to nil. The arrays must agree with the shape and
    /// task (a precondition).
    public init(features: [Float], targets: [Float], sampleShape: [Int], task: LearningTask,
                classNames: [String]? = nil) {
        self.features = features
        self.targets = targets
        self.sampleShape = sampleShape
        self.task = task
        self.classNames = classNames
        precondition(featureCount > 0 && task.targetWidth > 0, "Dataset: empty sample or target shape")
        precondition(targets.count % task.targetWidth == 0, "Dataset: targets do not fill whole samples")
        precondition(features.count == count * featureCount, "Dataset: features and targets disagree on the sample count")
    }

    /// A language-model dataset over byte windows: samples `[context]` of byte values, targets
    /// the bytes one position later, vocabulary 256.
    public init(text: TextWindows) {
        self.features = []
        self.targets = []
        self.text = text
        self.sampleShape = [text.context]
        self.task = .languageModel(vocab: TextWindows.vocabulary, context: text.context)
        self.classNames = nil
    }

    /// Number of samples.
    public var count: Int { text?.count ?? targets.count / targetWidth }
    /// Floats per sample in `features` (the product of `sampleShape`).
    public var featureCount: Int { sampleShape.reduce(1, *) }
    /// Floats per sample in `targets`.
    public var targetWidth: Int { task.targetWidth }

    /// Copies the samples at `indices`, in that order, into caller-provided memory: their
    /// features to `features` (room for `indices.count × featureCount`) and their targets to
    /// `targets` (room for `indices.count × targetWidth`). Allocates nothing.
    public func gather(_ indices: ArraySlice<Int>, features: UnsafeMutablePointer<Float>,
                       targets: UnsafeMutablePointer<Float>) {
        if let text {
            text.gather(indices, features: features, targets: targets)
            return
        }
        Dataset.copyRows(indices, of: self.features, width: featureCount, count: count, to: features)
        Dataset.copyRows(indices, of: self.targets, width: targetWidth, count: count, to: targets)
    }

    /// A new dataset holding the samples at `indices`, in that order.
    public func samples(at indices: [Int]) -> Dataset {
        var picked = self
        if let text {
            picked.text = text.windows(at: indices)
            return picked
        }
        picked.features = [Float](unsafeUninitializedCapacity: indices.count * featureCount) { buffer, initialized in
            if let base = buffer.baseAddress {
                Dataset.copyRows(indices[...], of: features, width: featureCount, count: count, to: base)
            }
            initialized = buffer.count
        }
        picked.targets = [Float](unsafeUninitializedCapacity: indices.count * targetWidth) { buffer, initialized in
            if let base = buffer.baseAddress {
                Dataset.copyRows(indices[...], of: targets, width: targetWidth, count: count, to: base)
            }
            initialized = buffer.count
        }
        return picked
    }

    /// The first `n` samples (all of them when `n >= count`).
    public func prefix(_ n: Int) -> Dataset {
        let kept = max(0, min(n, count))
        var head = self
        if let text {
            head.text = text.windows(at: Array(0..<kept))
            return head
        }
        head.features = Array(features[..<(kept * featureCount)])
        head.targets = Array(targets[..<(kept * targetWidth)])
        return head
    }

    /// How many rows ahead of the one being copied a gather prefetches: enough for a few rows'
    /// trips to memory to overlap.
    private static let prefetchRowsAhead = 4

    /// Copies the rows at `indices` of `source` (`count` rows of `width`) to `destination`, in order.
    private static func copyRows(_ indices: ArraySlice<Int>, of source: [Float], width: Int, count: Int,
                                 to destination: UnsafeMutablePointer<Float>) {
        guard !indices.isEmpty else { return }
        for index in indices {
            precondition(index >= 0 && index < count, "Dataset: sample index \(index) out of 0..<\(count)")
        }
        source.withUnsafeBufferPointer { rows in
            indices.withUnsafeBufferPointer { picked in
                csimd_gather_rows(destination, rows.baseAddress!, width, picked.baseAddress!, picked.count, prefetchRowsAhead)
            }
        }
    }
}

/// The datasets of one run. Normalisation was fitted on `train` and applied to all three.
public struct DataSplits: Sendable {
    /// Samples to train on (after `subset` and after holding out the validation samples).
    public var train: Dataset
    /// Held-out training samples, or nil when the validation split is empty.
    public var validation: Dataset?
    /// The separate test set, or nil when the spec names none.
    public var test: Dataset?
    /// The feature normalisation fitted on `train` (apply it to any new inputs).
    public var normalizer: FeatureNormalizer

    /// Creates splits; `validation` and `test` default to nil, `normalizer` to the identity.
    public init(train: Dataset, validation: Dataset? = nil, test: Dataset? = nil,
                normalizer: FeatureNormalizer = .identity) {
        self.train = train
        self.validation = validation
        self.test = test
        self.normalizer = normalizer
    }
}
