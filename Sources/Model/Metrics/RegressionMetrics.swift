// RegressionMetrics: running sums of squared and absolute errors giving MSE, RMSE and MAE,
// kept as raw sums so ranks can add them with one all-reduce.

/// Sums of errors over the recorded examples. Each element of a prediction counts as one
/// example (multi-output targets are averaged over all their elements).
public struct RegressionMetrics: Sendable, Equatable {
    /// Σ (prediction − target)².
    public private(set) var sumSquaredError: Double = 0
    /// Σ |prediction − target|.
    public private(set) var sumAbsoluteError: Double = 0
    /// Number of values recorded (a Double so it all-reduces with the sums).
    public private(set) var count: Double = 0

    /// Empty sums.
    public init() {}

    /// Rebuilds from `counts` as `counts` gives it: `[sumSquaredError, sumAbsoluteError, count]`,
    /// possibly summed across ranks.
    public init(counts: [Double]) {
        precondition(counts.count == 3, "RegressionMetrics needs 3 counts, got \(counts.count)")
        sumSquaredError = counts[0]
        sumAbsoluteError = counts[1]
        count = counts[2]
    }

    /// `[sumSquaredError, sumAbsoluteError, count]`, for a sum all-reduce.
    public var counts: [Double] { [sumSquaredError, sumAbsoluteError, count] }

    /// Adds `count` prediction/target pairs, accumulating in Double.
    public mutating func record(predictions: UnsafePointer<Float>, targets: UnsafePointer<Float>, count: Int) {
        precondition(count >= 0, "count must be ≥ 0")
        var squared = 0.0, absolute = 0.0
        for i in 0..<count {
            let e = Double(predictions[i]) - Double(targets[i])
            squared += e * e
            absolute += abs(e)
        }
        sumSquaredError += squared
        sumAbsoluteError += absolute
        self.count += Double(count)
    }

    /// Adds another value's sums.
    public mutating func merge(_ other: RegressionMetrics) {
        sumSquaredError += other.sumSquaredError
        sumAbsoluteError += other.sumAbsoluteError
        count += other.count
    }

    /// Mean squared error (0 when nothing was recorded).
    public var mse: Double { count == 0 ? 0 : sumSquaredError / count }
    /// Root mean squared error (0 when nothing was recorded).
    public var rmse: Double { mse.squareRoot() }
    /// Mean absolute error (0 when nothing was recorded).
    public var mae: Double { count == 0 ? 0 : sumAbsoluteError / count }
}
