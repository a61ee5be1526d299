// DatasetSpec: what to load — the files, the task, the validation split, the subset and the
// normalisation — as plain values the configuration maps onto.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A description of a dataset to load with `DatasetLoader.load(_:seed:)`.
public struct DatasetSpec: Sendable, Equatable {
    /// Where the samples come from.
    public enum Source: Sendable, Equatable {
        /// IDX image and label files (MNIST format), each plain or gzipped. The test pair is
        /// optional but must be given together.
        case idx(trainImages: String, trainLabels: String, testImages: String?, testLabels: String?)
        /// CSV files with a header row. `labelColumns` name the target columns (exactly one for
        /// classification); every other column is a numeric feature.
        case csv(train: String, test: String?, labelColumns: [String], task: TaskKind)
        /// NumPy arrays (.npy files or arrays inside .npz archives): the first axis counts the
        /// samples. Classification labels are whole numbers; regression labels are `[N]` or `[N, K]`.
        case arrays(train: ArrayPair, test: ArrayPair?, task: TaskKind)
        /// A text file read as bytes (vocabulary 256): samples are windows of `context` bytes,
        /// targets the next byte at every position. The validation split is the file's last
        /// fraction by position; `test` is an optional second file.
        case text(train: String, test: String?, context: Int)
    }

    /// One NumPy array: a whole .npy file, or the array `name` inside a .npz archive.
    public struct ArrayFile: Sendable, Equatable {
        /// Path of the .npy or .npz file.
        public var path: String
        /// The array's name inside a .npz archive (the key given to `numpy.savez`); nil for a .npy file.
        public var name: String?

        /// Creates a reference; `name` defaults to nil (a .npy file).
        public init(path: String, name: String? = nil) {
            self.path = path
            self.name = name
        }
    }

    /// The feature array and the label array of one split; both have one entry per sample on axis 0.
    public struct ArrayPair: Sendable, Equatable {
        /// Samples: `[N]`, `[N, D]`, `[N, H, W]`, `[N, H, W, C]` or any other shape.
        public var features: ArrayFile
        /// Targets: `[N]` or `[N, 1]`, or `[N, K]` for K regression outputs.
        public var labels: ArrayFile

        /// Creates a pair.
        public init(features: ArrayFile, labels: ArrayFile) {
            self.features = features
            self.labels = labels
        }
    }

    /// The kind of task a CSV file's label columns hold.
    public enum TaskKind: String, Sendable, Equatable {
        /// One label column of integers (class indices) or strings (mapped to indices in sorted order);
        /// for arrays, labels of whole numbers used as class indices.
        case classification
        /// One or more numeric target columns.
        case regression
    }

    /// How many training samples to hold out for validation.
    public enum ValidationSplit: Sendable, Equatable {
        /// Exactly this many samples (0 means no validation set).
        case count(Int)
        /// This fraction of the (subset) training samples, in `0..<1`, rounded to the nearest sample.
        case fraction(Double)
    }

    /// How features are normalised; statistics come from the training split only.
    public enum Normalization: String, Sendable {
        /// Features are left as read (IDX bytes stay 0...255).
        case none
        /// IDX and image-shaped arrays: divide by 255. CSV and other arrays: map each feature's
        /// training min...max to 0...1.
        case scale
        /// Z-score: CSV and vector arrays per feature; images with one mean and std over all training pixels.
        case standard
    }

    /// The files and task.
    public var source: Source
    /// Validation samples held out of the training set by a seeded shuffle. Default `.count(0)`
    /// (no validation set).
    public var validation: ValidationSplit
    /// Keep only the first N training samples, before the validation split. Default nil (all);
    /// an N larger than the file keeps everything.
    public var subset: Int?
    /// Feature normalisation. Default `.scale` for IDX (÷255), `.standard` for CSV and arrays,
    /// `.none` for text (the only one it takes: features are token ids).
    public var normalization: Normalization
    /// Number of classes for classification. Default nil: inferred from the full training file
    /// (largest integer label + 1, or the number of distinct string labels). When given, every
    /// label must be below it, in training and test files alike.
    public var classes: Int?

    /// Creates a spec. Defaults: `validation` `.count(0)` (text data: pass `.fraction(0.1)`, what
    /// its parser sets), `subset` nil, `normalization` nil (meaning `.scale` for IDX, `.standard`
    /// for CSV and arrays, `.none` for text), `classes` nil (inferred).
    public init(source: Source, validation: ValidationSplit = .count(0), subset: Int? = nil,
                normalization: Normalization? = nil, classes: Int? = nil) {
        self.source = source
        self.validation = validation
        self.subset = subset
        self.classes = classes
        switch source {
        case .idx: self.normalization = normalization ?? .scale
        case .csv, .arrays: self.normalization = normalization ?? .standard
        case .text: self.normalization = normalization ?? .none
        }
    }

    /// Fashion-MNIST (or MNIST, which uses the same file names) in `directory` (default
    /// `/usr/share/datasets/fashion-mnist`): `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each with or without `.gz` (the plain
    /// name wins when both exist; the `.gz` name is used when neither does, so the load error
    /// names it). 10 classes, default normalisation `.scale`, no validation set.
    public static func fashionMNIST(directory: String = "/usr/share/datasets/fashion-mnist") -> DatasetSpec {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        func find(_ name: String) -> String {
            let plain = base + "/" + name
            return access(plain, F_OK) == 0 ? plain : plain + ".gz"
        }
        return DatasetSpec(
            source: .idx(trainImages: find("train-images-idx3-ubyte"), trainLabels: find("train-labels-idx1-ubyte"),
                         testImages: find("t10k-images-idx3-ubyte"), testLabels: find("t10k-labels-idx1-ubyte")),
            classes: 10)
    }
}
