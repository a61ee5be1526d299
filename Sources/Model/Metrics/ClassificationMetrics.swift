// ClassificationMetrics: a confusion matrix with accuracy, per-class and macro precision,
// recall and F1, kept as raw counts so ranks can sum them with one all-reduce.

/// Counts of (true class, predicted class) pairs and the scores derived from them.
///
/// Undefined ratios follow scikit-learn's `zero_division=0`: precision, recall and F1 are 0
/// when their denominator is 0, and accuracy is 0 when nothing was recorded.
/// To combine ranks, all-reduce-sum `counts` and rebuild with `init(classes:counts:)`,
/// or `merge` two values in process.
public struct ClassificationMetrics: Sendable, Equatable {
    /// Number of classes; labels and predictions are in `0..<classes`.
    public let classes: Int
    /// Row-major confusion counts: `cells[label * classes + predicted]`.
    private var cells: [Int]

    /// An empty matrix for `classes` classes (at least 1).
    public init(classes: Int) {
        precondition(classes >= 1, "classes must be ≥ 1, got \(classes)")
        self.classes = classes
        cells = [Int](repeating: 0, count: classes * classes)
    }

    /// Rebuilds a matrix from `counts` (the flattened confusion matrix, as `counts` gives it,
    /// possibly summed across ranks). Each value must be a non-negative whole number.
    public init(classes: Int, counts: [Double]) {
        self.init(classes: classes)
        precondition(counts.count == classes * classes,
                     "expected \(classes * classes) counts for \(classes) classes, got \(counts.count)")
        for (i, value) in counts.enumerated() {
            precondition(value >= 0 && value == value.rounded() && value < 0x1p53,
                         "count \(i) is not a non-negative whole number: \(value)")
            cells[i] = Int(value)
        }
    }

    /// Records one example.
    public mutating func record(predicted: Int, label: Int) {
        precondition((0..<classes).contains(predicted) && (0..<classes).contains(label),
                     "class out of range: predicted \(predicted), label \(label), classes \(classes)")
        cells[label * classes + predicted] += 1
    }

    /// Records a batch: `logits` is `[batch, classes]` row-major, `labels` holds `batch`
    /// class indices stored as Float. The prediction is each row's argmax (the first index
    /// on ties).
    public mutating func record(
        logits: UnsafePointer<Float>, labels: UnsafePointer<Float>, batch: Int, classes: Int
    ) {
        precondition(classes == self.classes, "logits have \(classes) classes, metrics \(self.classes)")
        for row in 0..<batch {
            let start = logits + row * classes
            var best = 0
            var bestValue = start[0]
            for c in 1..<classes where start[c] > bestValue {
                best = c
                bestValue = start[c]
            }
            record(predicted: best, label: Int(labels[row]))
        }
    }

    /// Adds another matrix's counts (same number of classes).
    public mutating func merge(_ other: ClassificationMetrics) {
        precondition(other.classes == classes, "cannot merge \(other.classes) classes into \(classes)")
        for i in cells.indices { cells[i] += other.cells[i] }
    }

    /// The confusion matrix: row = true class, column = predicted class.
    public var confusion: [[Int]] {
        (0..<classes).map { Array(cells[($0 * classes)..<(($0 + 1) * classes)]) }
    }

    /// The flattened confusion matrix (row-major) as Doubles, for a sum all-reduce.
    public var counts: [Double] { cells.map(Double.init) }

    /// Number of examples recorded.
    public var count: Int { cells.reduce(0, +) }

    /// Examples whose prediction equals the label.
    public var correct: Int { (0..<classes).reduce(0) { $0 + cells[$1 * classes + $1] } }

    /// Fraction of examples predicted correctly (0 when nothing was recorded).
    public var accuracy: Double { ratio(correct, count) }

    /// Examples whose true class is `c` (row sum).
    public func support(_ c: Int) -> Int { (0..<classes).reduce(0) { $0 + cells[c * classes + $1] } }

    /// Examples predicted as `c` (column sum).
    public func predictedCount(_ c: Int) -> Int { (0..<classes).reduce(0) { $0 + cells[$1 * classes + c] } }

    /// TP / (TP + FP) for class `c`: of the examples predicted `c`, the fraction truly `c`
    /// (0 when nothing was predicted as `c`).
    public func precision(_ c: Int) -> Double { ratio(cells[c * classes + c], predictedCount(c)) }

    /// TP / (TP + FN) for class `c`: of the examples truly `c`, the fraction predicted `c`
    /// (0 when class `c` never occurred).
    public func recall(_ c: Int) -> Double { ratio(cells[c * classes + c], support(c)) }

    /// Harmonic mean of precision and recall, 2·TP / (2·TP + FP + FN), for class `c`
    /// (0 when the class was neither present nor predicted).
    public func f1(_ c: Int) -> Double {
        let tp = cells[c * classes + c]
        return ratio(2 * tp, support(c) + predictedCount(c))
    }

    /// Classes that occur as a label or as a prediction: the ones the macro averages cover.
    public var observedClasses: [Int] {
        (0..<classes).filter { support($0) > 0 || predictedCount($0) > 0 }
    }

    /// Unweighted mean of `precision` over `observedClasses` (scikit-learn's macro average
    /// without an explicit label list); 0 when nothing was recorded.
    public var macroPrecision: Double { macro(precision) }
    /// Unweighted mean of `recall` over `observedClasses`; 0 when nothing was recorded.
    public var macroRecall: Double { macro(recall) }
    /// Unweighted mean of per-class `f1` over `observedClasses`; 0 when nothing was recorded.
    public var macroF1: Double { macro(f1) }

    private func macro(_ score: (Int) -> Double) -> Double {
        let observed = observedClasses
        guard !observed.isEmpty else { return 0 }
        return observed.reduce(0) { $0 + score($1) } / Double(observed.count)
    }
}

/// numerator / denominator, or 0 when the denominator is 0 (zero_division = 0).
@inline(__always)
private func ratio(_ numerator: Int, _ denominator: Int) -> Double {
    denominator == 0 ? 0 : Double(numerator) / Double(denominator)
}
