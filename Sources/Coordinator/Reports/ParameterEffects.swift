// ParameterEffects: how much each swept parameter moves the metric over finished trials —
// rank correlation for numbers, mean metric per value for categories, and an importance ranking.
import Foundation

/// The effect of one parameter on the sweep metric.
///
/// Importance, a number in [0, 1] used to rank parameters:
/// - numeric parameters: |Spearman ρ| between the parameter and the metric (ρ is unchanged by
///   taking logarithms, so it suits log-distributed parameters as they are);
/// - categorical parameters (strings, booleans, lists, or listed numbers with fewer than 3
///   distinct values): the correlation ratio η = √(between-value sum of squares / total sum of squares)
///   of the metric grouped by value;
/// - a parameter with one value among the trials, or fewer than 3 finished trials: 0.
/// Both measure how much of the metric's variation lines up with the parameter, but they are
/// one-parameter-at-a-time views: interactions between parameters are not seen.
public struct ParameterEffect: Sendable, Equatable {
    /// How the parameter is treated.
    public enum Kind: String, Sendable, Equatable { case numeric, categorical, constant }

    /// The mean metric over the finished trials that had one value.
    public struct ValueGroup: Sendable, Equatable {
        /// The value as written in YAML (`relu`, `[64, 32]`).
        public var value: String
        public var count: Int
        public var mean: Double
    }

    /// Parameter name (dotted path into the job).
    public var name: String
    public var kind: Kind
    /// Whether values are compared on a log scale (log distributions, or positive numeric
    /// values spanning a factor of 100 or more).
    public var logScale: Bool
    /// Spearman rank correlation with the metric (numeric parameters, 3 or more trials).
    public var spearman: Double?
    /// Pearson correlation of the value (its log10 when `logScale`) with the metric.
    public var pearson: Double?
    /// Mean metric per value, best first for the sweep's goal (categorical parameters).
    public var groups: [ValueGroup]
    /// Ranking weight in [0, 1] (see the type's documentation).
    public var importance: Double
    /// Finished trials the figures are based on.
    public var trials: Int
}

/// Computes parameter effects.
public enum ParameterEffects {
    /// Effects of every swept parameter over the finished trials with a metric, most important
    /// first (ties in config order).
    public static func compute(_ results: SweepResults) -> [ParameterEffect] {
        let scored = results.trials.filter { $0.status == .finished && $0.metric != nil }
        let metric = scored.map { $0.metric! }
        let effects = results.parameters.map { p -> ParameterEffect in
            let values = scored.map { $0.configuration[p.name] }
            return effect(name: p.name, distribution: p.distribution, values: values, metric: metric, goal: results.metric.goal)
        }
        return effects.enumerated().sorted { a, b in
            a.element.importance != b.element.importance ? a.element.importance > b.element.importance : a.offset < b.offset
        }.map(\.element)
    }

    /// The effect of one parameter given its value in each trial (nil when a trial lacks it) and
    /// the trials' metric values.
    public static func effect(name: String, distribution: ParameterDistribution?, values: [ParameterValue?],
                              metric: [Double], goal: MetricGoal) -> ParameterEffect {
        let pairs = zip(values, metric).compactMap { v, m in v.map { ($0, m) } }
        let present = pairs.map(\.0)
        let distinct = Set(present.map(\.description))
        let logScale = isLogScale(distribution: distribution, values: present)
        var effect = ParameterEffect(name: name, kind: .constant, logScale: logScale, spearman: nil, pearson: nil,
                                     groups: [], importance: 0, trials: pairs.count)
        guard distinct.count > 1 else { return effect }
        let numbers = present.compactMap(\.number)
        if isNumeric(distribution: distribution, values: present) {
            effect.kind = .numeric
            let ys = pairs.map(\.1)
            let xs = logScale ? logPositions(numbers) : numbers
            effect.spearman = spearman(numbers, ys)
            effect.pearson = pearson(xs, ys)
            effect.importance = abs(effect.spearman ?? 0)
        } else {
            effect.kind = .categorical
            var sums: [String: (count: Int, sum: Double)] = [:]
            for (v, m) in pairs { sums[v.description, default: (0, 0)].count += 1; sums[v.description]!.sum += m }
            effect.groups = sums.map { ParameterEffect.ValueGroup(value: $0.key, count: $0.value.count, mean: $0.value.sum / Double($0.value.count)) }
                .sorted { a, b in a.mean != b.mean ? (goal == .minimize ? a.mean < b.mean : a.mean > b.mean) : a.value < b.value }
            if pairs.count >= 3 { effect.importance = correlationRatio(effect.groups, all: pairs.map(\.1)) }
        }
        return effect
    }

    /// True when every value is a number and the parameter is drawn from a range (uniform,
    /// int_uniform, log, normal ...) or takes 3 or more distinct values; otherwise its values are
    /// treated as categories.
    public static func isNumeric(distribution: ParameterDistribution?, values: [ParameterValue]) -> Bool {
        guard !values.isEmpty, values.allSatisfy({ $0.number != nil }) else { return false }
        switch distribution {
        case .categorical, .constant, nil: return Set(values.map(\.description)).count >= 3
        default: return true
        }
    }

    /// True for log distributions, and for numbers of which none is negative and the positive
    /// ones span a factor of 100 or more — such as weight decay's `0, 1e-5, 1e-4, 1e-3`, whose 0
    /// a log axis places one decade below the smallest positive value (`logPositions`).
    public static func isLogScale(distribution: ParameterDistribution?, values: [ParameterValue]) -> Bool {
        switch distribution {
        case .logUniformValues, .qLogUniformValues, .logNormal: return true
        default:
            let numbers = values.compactMap(\.number)
            guard !numbers.isEmpty, numbers.count == values.count, numbers.allSatisfy({ $0 >= 0 }),
                  let lo = numbers.filter({ $0 > 0 }).min(), let hi = numbers.max() else { return false }
            return hi / lo >= 100
        }
    }

    /// Where `numbers` sit on a log axis, as log10: zero one decade below the smallest positive
    /// value's decade (`zeroDecade`), so it is drawn at the axis's start, not lost.
    public static func logPositions(_ numbers: [Double]) -> [Double] {
        let zero = zeroDecade(numbers)
        return numbers.map { $0 > 0 ? log10($0) : zero }
    }

    /// The log10 position of 0 on a log axis of `numbers`: the decade below the smallest positive one.
    static func zeroDecade(_ numbers: [Double]) -> Double {
        floor(log10(numbers.filter { $0 > 0 }.min() ?? 1)) - 1
    }

    /// Pearson correlation; nil with fewer than 3 points or when either side is constant.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        let n = min(x.count, y.count)
        guard n >= 3 else { return nil }
        let mx = x.prefix(n).reduce(0, +) / Double(n), my = y.prefix(n).reduce(0, +) / Double(n)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<n {
            let dx = x[i] - mx, dy = y[i] - my
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }

    /// Spearman rank correlation (Pearson on ranks, ties given their average rank).
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
        pearson(ranks(x), ranks(y))
    }

    /// 1-based ranks, ties sharing their average rank.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
            let average = Double(start + end) / 2 + 1
            for k in start...end { result[order[k]] = average }
            start = end + 1
        }
        return result
    }

    /// η: the square root of the share of the metric's variance explained by the group means.
    static func correlationRatio(_ groups: [ParameterEffect.ValueGroup], all: [Double]) -> Double {
        let mean = all.reduce(0, +) / Double(all.count)
        let total = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        guard total > 0 else { return 0 }
        let between = groups.reduce(0) { $0 + Double($1.count) * ($1.mean - mean) * ($1.mean - mean) }
        return min(1, (between / total).squareRoot())
    }
}
