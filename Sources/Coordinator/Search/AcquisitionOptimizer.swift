// AcquisitionOptimizer: maximises log expected improvement over the unit cube — many random
// starts scored at their rounded configurations, the best refined by bounded L-BFGS.
import Model

/// Finds the untried configuration with the largest log EI under a Gaussian process.
struct AcquisitionOptimizer {
    let mapping: UnitCubeMapping
    /// Uniform random candidates scored per suggestion (default 1000).
    var randomCandidates = 1000
    /// Candidates drawn near each of the best observed points (default 50 each, for the best 4).
    var localCandidates = 50
    /// Best-scoring candidates refined by L-BFGS (default 5).
    var refinements = 5
    /// Every configuration of a finite space (nil otherwise): the fallback when sampling only
    /// finds tried ones.
    var finiteConfigurations: [Configuration]?
    /// Points a suggestion keeps away from (pending trials, earlier picks of the batch) ...
    var avoid: [[Double]] = []
    /// ... by at least this Euclidean distance in the unit cube (default 0.02 √d). A confident
    /// model's fantasies alone can leave a batch's points a hair apart.
    var minimumSpacing: Double?

    /// A point near `center`: each coordinate moved by N(0, 0.05²) and reflected back into [0, 1]
    /// at the bounds. (Clipping instead put half the candidates of a centre on a bound exactly on
    /// it, and a coordinate the GP deems irrelevant then stayed there: sequential Hartmann 3 ended
    /// at regret 0.008, x1 pinned at 0, on 9 of seeds 1–20.)
    static func localCandidate(near center: [Double], rng: inout CounterRNG) -> [Double] {
        center.map { c in
            var v = c + 0.05 * rng.nextNormal()
            if v < 0 { v = -v }
            if v > 1 { v = 2 - v }
            return min(1, max(0, v))
        }
    }

    /// The configuration maximising log EI below `best` whose canonical key is not in `excluded`, with its unit-cube
    /// point; nil when every configuration is excluded.
    func maximize(gp: GaussianProcess, best: Double, excluded: Set<[ParameterValue]>,
                  rng: inout CounterRNG) -> (configuration: Configuration, point: [Double])? {
        let d = mapping.dimension
        func score(_ x: [Double]) -> Double {
            let p = gp.predict(x, gradient: false)
            return ExpectedImprovement.logValue(mean: p.mean, sd: p.variance.squareRoot(), best: best)
        }
        // Rounded candidates: (log EI, configuration, rounded point, raw point).
        var scored: [(value: Double, configuration: Configuration, point: [Double], raw: [Double])] = []
        var seen = excluded
        let spacing = minimumSpacing ?? 0.02 * Double(d).squareRoot()
        func consider(_ raw: [Double]) {
            let configuration = mapping.decode(raw)
            let key = mapping.space.canonicalKey(configuration)!
            guard !seen.contains(key) else { return }
            seen.insert(key)
            let point = mapping.encode(configuration)
            for a in avoid {
                var s = 0.0
                for k in 0..<d { s += (a[k] - point[k]) * (a[k] - point[k]) }
                if s < spacing * spacing { return }
            }
            scored.append((score(point), configuration, point, raw))
        }
        for _ in 0..<randomCandidates { consider((0..<d).map { _ in rng.nextDouble() }) }
        let incumbents = zip(gp.inputs, gp.targets).sorted { $0.1 < $1.1 }.prefix(4).map(\.0)
        for center in incumbents {
            for _ in 0..<localCandidates { consider(AcquisitionOptimizer.localCandidate(near: center, rng: &rng)) }
        }
        // Refine the best few on the continuous cube, then round.
        let starts = scored.sorted { $0.value > $1.value }.prefix(refinements).map(\.raw)
        let optimizer = BoundedLBFGS(lower: Array(repeating: 0, count: d), upper: Array(repeating: 1, count: d),
                                     maxIterations: 30, gradientTolerance: 1e-7)
        for start in starts {
            let refined = optimizer.minimize(from: start) { x in
                let p = gp.predict(x, gradient: true)
                let (v, g) = ExpectedImprovement.logValueAndGradient(mean: p.mean, variance: p.variance, dMean: p.dMean,
                                                                     dVariance: p.dVariance, best: best)
                return v.isFinite ? (-v, g.map { -$0 }) : (.infinity, g)
            }
            consider(refined.x)
        }
        if let top = scored.max(by: { $0.value < $1.value }) { return (top.configuration, top.point) }
        // Sampling found nothing new: in a finite space, score every untried configuration.
        guard let all = finiteConfigurations else { return nil }
        var bestChoice: (Double, Configuration, [Double])?
        for configuration in all where !excluded.contains(mapping.space.canonicalKey(configuration)!) {
            let point = mapping.encode(configuration)
            let v = score(point)
            if bestChoice == nil || v > bestChoice!.0 { bestChoice = (v, configuration, point) }
        }
        return bestChoice.map { ($0.1, $0.2) }
    }
}
