// FeatureNormalizer: the per-feature affine map x' = (x - offset) / scale, fitted on the
// training split only and then applied unchanged to validation, test and new inputs.

/// An affine normalisation of every feature: `x' = (x - offset[j]) / scale[j]`.
public struct FeatureNormalizer: Sendable, Equatable {
    /// Subtracted from feature `j` (one entry per feature; empty for the identity).
    public var offset: [Float]
    /// Feature `j` is divided by this after the offset (never 0).
    public var scale: [Float]

    /// The map that leaves every value unchanged.
    public static let identity = FeatureNormalizer(offset: [], scale: [])

    /// Creates a normaliser from explicit per-feature offsets and scales (equal lengths; scales
    /// must be non-zero).
    public init(offset: [Float], scale: [Float]) {
        precondition(offset.count == scale.count && !scale.contains(0), "FeatureNormalizer: bad offset/scale")
        self.offset = offset
        self.scale = scale
    }

    /// How statistics are gathered.
    public enum Layout: Sendable {
        /// Images: one mean/std over all pixels (per-pixel std is 0 at the borders), and
        /// `scale` divides by 255 (the range of IDX bytes).
        case image
        /// Tables: statistics per feature column; `scale` maps each column's training
        /// minimum–maximum to 0...1.
        case tabular
    }

    /// Fits `method` to `train`'s features. A constant feature gets scale 1 (it is only shifted).
    public static func fit(_ method: DatasetSpec.Normalization, layout: Layout, to train: Dataset) -> FeatureNormalizer {
        let width = train.featureCount
        let rows = train.count
        switch (method, layout) {
        case (.none, _):
            return .identity
        case (.scale, .image):
            return FeatureNormalizer(offset: Array(repeating: 0, count: width), scale: Array(repeating: 255, count: width))
        case (.standard, .image):
            var sum = 0.0, squares = 0.0
            train.features.withUnsafeBufferPointer { values in
                for v in values { let x = Double(v); sum += x; squares += x * x }
            }
            let n = Double(max(train.features.count, 1))
            let mean = sum / n
            let std = max(squares / n - mean * mean, 0).squareRoot()
            return FeatureNormalizer(offset: Array(repeating: Float(mean), count: width),
                                     scale: Array(repeating: safeScale(std), count: width))
        case (.scale, .tabular):
            var low = Array(repeating: Float.infinity, count: width)
            var high = Array(repeating: -Float.infinity, count: width)
            train.features.withUnsafeBufferPointer { values in
                for r in 0..<rows {
                    for j in 0..<width {
                        let x = values[r * width + j]
                        low[j] = min(low[j], x)
                        high[j] = max(high[j], x)
                    }
                }
            }
            return FeatureNormalizer(offset: low, scale: (0..<width).map { safeScale(Double(high[$0] - low[$0])) })
        case (.standard, .tabular):
            var sum = Array(repeating: 0.0, count: width)
            var squares = Array(repeating: 0.0, count: width)
            train.features.withUnsafeBufferPointer { values in
                for r in 0..<rows {
                    for j in 0..<width {
                        let x = Double(values[r * width + j])
                        sum[j] += x
                        squares[j] += x * x
                    }
                }
            }
            let n = Double(max(rows, 1))
            let mean = sum.map { $0 / n }
            let std = (0..<width).map { max(squares[$0] / n - mean[$0] * mean[$0], 0).squareRoot() }
            return FeatureNormalizer(offset: mean.map { Float($0) }, scale: std.map(safeScale))
        }
    }

    /// Normalises `dataset`'s features in place (its feature count must match, unless identity).
    public func apply(to dataset: inout Dataset) {
        guard !offset.isEmpty else { return }
        let width = offset.count
        precondition(dataset.featureCount == width, "FeatureNormalizer: fitted on \(width) features, given \(dataset.featureCount)")
        let inverse = scale.map { 1 / $0 }
        offset.withUnsafeBufferPointer { shift in
            inverse.withUnsafeBufferPointer { factor in
                dataset.features.withUnsafeMutableBufferPointer { values in
                    var i = 0
                    while i < values.count {
                        for j in 0..<width { values[i + j] = (values[i + j] - shift[j]) * factor[j] }
                        i += width
                    }
                }
            }
        }
    }

    /// A usable divisor: the statistic itself, or 1 when it is zero or too small to divide by.
    private static func safeScale(_ value: Double) -> Float {
        value > 1e-12 && value.isFinite ? Float(value) : 1
    }
}
