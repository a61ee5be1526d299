// LatinHypercube: the space-filling initial design of Bayesian search — a Latin hypercube in
// [0, 1]^d, the best (largest minimum pairwise distance) of several seeded draws.
import Model

/// A maximin Latin hypercube design.
public enum LatinHypercube {
    /// Initial design size for a unit cube of `dimension` coordinates: max(5, 2d + 1), at most 20.
    public static func designSize(dimension: Int) -> Int { min(20, max(5, 2 * dimension + 1)) }

    /// `count` points in [0, 1]^`dimension`, one per row and column stratum, jittered within
    /// their cell; of `draws` designs (default 20) the one whose closest pair is farthest apart.
    public static func design(count: Int, dimension: Int, rng: inout CounterRNG, draws: Int = 20) -> [[Double]] {
        guard count > 0 else { return [] }
        var best: [[Double]] = []
        var bestDistance = -1.0
        for _ in 0..<max(1, draws) {
            var points = [[Double]](repeating: [Double](repeating: 0, count: dimension), count: count)
            for d in 0..<dimension {
                let order = rng.permutation(count)
                for i in 0..<count { points[i][d] = (Double(order[i]) + rng.nextDouble()) / Double(count) }
            }
            let distance = minimumDistance(points)
            if distance > bestDistance { (best, bestDistance) = (points, distance) }
        }
        return best
    }

    /// The smallest Euclidean distance between two of `points` (+∞ for fewer than two).
    public static func minimumDistance(_ points: [[Double]]) -> Double {
        var m = Double.infinity
        for i in 0..<points.count {
            for j in 0..<i {
                var s = 0.0
                for d in 0..<points[i].count { let t = points[i][d] - points[j][d]; s += t * t }
                m = min(m, s)
            }
        }
        return m.squareRoot()
    }
}
