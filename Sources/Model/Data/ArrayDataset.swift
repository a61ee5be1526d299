// ArrayDataset: turns NumPy feature and label arrays (.npy files or .npz members) into Datasets:
// axis 0 counts samples, the rest is the sample's shape; labels become classes or regression targets.

enum ArrayDataset {
    /// What the training arrays fix for every split: the sample shape and the task.
    struct Schema {
        /// The per-sample shape of the feature array as stored (axes 1...).
        var storedShape: [Int]
        /// The shape the model sees (see `sampleShape(of:)`).
        var sampleShape: [Int]
        var task: LearningTask
    }

    /// The model's view of a stored per-sample shape: `[]` → `[1]`; `[H, W]` and `[H, W, 1]` →
    /// `[1, H, W]`, as IDX images arrive; anything else unchanged (`[D]`, `[H, W, C]`, ...).
    static func sampleShape(of stored: [Int]) -> [Int] {
        switch stored.count {
        case 0: return [1]
        case 2: return [1] + stored
        case 3 where stored[2] == 1: return [1, stored[0], stored[1]]
        default: return stored
        }
    }

    /// Inferred class counts above this are refused (the `classes` setting has the same bound).
    static let maximumClasses = 100_000

    /// Checks the training arrays and decides the sample shape and the task.
    static func schema(features: NumpyArray, labels: NumpyArray, pair: DatasetSpec.ArrayPair,
                       kind: DatasetSpec.TaskKind, classes: Int?) throws -> Schema {
        try checkShapes(features: features, labels: labels, pair: pair)
        let stored = Array(features.shape.dropFirst())
        let task: LearningTask
        switch kind {
        case .regression:
            task = .regression(outputs: labels.shape.count == 2 ? labels.shape[1] : 1)
        case .classification:
            guard labels.shape.count == 1 || labels.shape[1] == 1 else {
                throw error(pair.labels, "labels have shape \(labels.shape); classification takes one label per sample",
                            "give labels of shape [N] or [N, 1], or set task: regression for several targets")
            }
            let largest = try checkClassLabels(labels, file: pair.labels, classes: classes)
            guard largest < maximumClasses || classes != nil else {
                throw error(pair.labels, "label \(largest) would make \(largest + 1) classes, more than \(maximumClasses)",
                            "labels are class indices 0, 1, 2, ...; for real-valued targets set task: regression")
            }
            task = .classification(classes: classes ?? largest + 1)
        }
        return Schema(storedShape: stored, sampleShape: sampleShape(of: stored), task: task)
    }

    /// Builds the dataset of one split's arrays under `schema` (fitted on the training arrays).
    static func dataset(features: NumpyArray, labels: NumpyArray, pair: DatasetSpec.ArrayPair, schema: Schema) throws -> Dataset {
        try checkShapes(features: features, labels: labels, pair: pair)
        let stored = Array(features.shape.dropFirst())
        guard stored == schema.storedShape else {
            throw error(pair.features, "samples have shape \(stored) but the training samples have shape \(schema.storedShape)",
                        "every split's features must have the same shape after the first axis")
        }
        switch schema.task {
        case .languageModel: preconditionFailure("arrays are never a language-model task")
        case .classification(let classes):
            _ = try checkClassLabels(labels, file: pair.labels, classes: classes)
        case .regression(let outputs):
            let width = labels.shape.count == 2 ? labels.shape[1] : 1
            guard width == outputs else {
                throw error(pair.labels, "labels have \(width) targets per sample but the training labels have \(outputs)",
                            "every split's labels must have the same shape")
            }
            if let bad = labels.values.firstIndex(where: { !$0.isFinite }) {
                throw error(pair.labels, "target \(labels.values[bad]) of sample \(bad / width) is not a finite number",
                            "regression targets must be finite; remove or fill the missing values")
            }
        }
        // Whole numbers of every integer type up to 64 bits fit in Float's range.
        if features.elementType.isFloat, let bad = features.values.firstIndex(where: { !$0.isFinite }) {
            let width = max(schema.sampleShape.reduce(1, *), 1)
            throw error(pair.features, "value \(features.values[bad]) of sample \(bad / width) is not a finite Float",
                        "features must be finite numbers within Float's range; remove or fill NaN and infinite values")
        }
        return Dataset(features: features.values, targets: labels.values, sampleShape: schema.sampleShape, task: schema.task)
    }

    /// Checks that the features and labels have at least one sample each, the same count, and
    /// usable shapes.
    private static func checkShapes(features: NumpyArray, labels: NumpyArray, pair: DatasetSpec.ArrayPair) throws {
        guard let count = features.shape.first else {
            throw error(pair.features, "is a 0-dimensional array (one value)", "the first axis must count the samples")
        }
        guard count > 0 else { throw error(pair.features, "holds no samples (shape \(features.shape))", "a dataset needs at least one sample") }
        guard features.shape.dropFirst().allSatisfy({ $0 > 0 }) else {
            throw error(pair.features, "samples of shape \(Array(features.shape.dropFirst())) hold no values",
                        "every axis after the first must be at least 1")
        }
        guard let labelCount = labels.shape.first, labels.shape.count <= 2 else {
            throw error(pair.labels, "labels have shape \(labels.shape)", "labels must be [N] or [N, 1] (or [N, K] for K regression targets)")
        }
        guard labelCount == count else {
            throw error(pair.labels, "holds \(labelCount) labels but the features (\(describe(pair.features))) hold \(count) samples",
                        "the features and the labels must have the same length on the first axis")
        }
        guard labels.shape.count == 1 || labels.shape[1] > 0 else {
            throw error(pair.labels, "labels have shape \(labels.shape), no target per sample", "labels must be [N] or [N, 1]")
        }
    }

    /// Checks every label is a whole number in `0..<classes` (any non-negative one when `classes`
    /// is nil) and returns the largest.
    private static func checkClassLabels(_ labels: NumpyArray, file: DatasetSpec.ArrayFile, classes: Int?) throws -> Int {
        var largest: Float = 0
        let limit = Float(classes ?? Int(Int32.max))
        for (sample, value) in labels.values.enumerated() {
            guard value.isFinite, value >= 0, value.rounded() == value, value < limit else {
                let hint = !value.isFinite || value.rounded() != value
                    ? "class labels must be whole numbers 0, 1, 2, ...; for real-valued targets set task: regression"
                    : classes.map { "labels must be in 0...\($0 - 1) for \($0) classes" } ?? "class labels are indices 0, 1, 2, ..."
                throw error(file, "label \(value) of sample \(sample) is not a class index", hint)
            }
            largest = max(largest, value)
        }
        return Int(largest)
    }

    /// "x.npy" or "array \"x\" of data.npz", for messages.
    static func describe(_ file: DatasetSpec.ArrayFile) -> String {
        file.name.map { "array \"\($0)\" of \(file.path)" } ?? file.path
    }

    private static func error(_ file: DatasetSpec.ArrayFile, _ message: String, _ hint: String?) -> DatasetError {
        let prefix = file.name.map { "array \"\($0)\": " } ?? ""
        return DatasetError(file: file.path, message: prefix + message, hint: hint)
    }
}
