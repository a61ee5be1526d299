// PowerTransform tests: order kept, units ignored, λ where scipy's maximum likelihood puts it,
// a long tail compressed, degenerate inputs left finite; in the Bayesian search, fitted to
// measured values only, and suggestions unchanged by the metric's units or goal.
import Foundation
import Testing
@testable import Coordinator
import Model

private let longTail = [0.4, 1.2, 3.5, 8.0, 17.0, 40.0, 95.0, 210.0, 300.0, 2.2, 0.9, 55.0]
private let mixedSigns = [-3.0, -1.5, -0.2, 0.1, 0.4, 0.7, 1.1, 2.5, -0.8, 0.3]

private func skewness(_ x: [Double]) -> Double {
    let n = Double(x.count), mean = x.reduce(0, +) / n
    let m2 = x.reduce(0) { $0 + pow($1 - mean, 2) } / n, m3 = x.reduce(0) { $0 + pow($1 - mean, 3) } / n
    return m3 / pow(m2, 1.5)
}

@Test("the transform keeps the order of values of both signs and a wide range", arguments: [1, 2, 3] as [UInt64])
func powerTransformKeepsOrder(seed: UInt64) {
    var rng = CounterRNG(seed: seed, stream: .search, 0)
    let values = (0..<40).map { _ in (rng.nextDouble() - 0.3) * pow(10, 4 * rng.nextDouble()) }
    let transform = PowerTransform.fitted(to: values)
    let sorted = values.sorted()
    let mapped = sorted.map { transform($0) }
    #expect(mapped.allSatisfy { $0.isFinite })
    for i in 1..<mapped.count where sorted[i] > sorted[i - 1] { #expect(mapped[i] > mapped[i - 1], "λ \(transform.lambda) at \(sorted[i])") }
}

@Test("λ is the maximum-likelihood exponent scipy.stats.yeojohnson finds, within the grid's step")
func powerTransformMatchesScipy() {
    // scipy 1.x: stats.yeojohnson((x − mean) / std)[1] for these two samples.
    // The grid's best point lies within one step (0.05) of the continuous maximum.
    #expect(abs(PowerTransform.fitted(to: longTail).lambda - -1.0197) <= 0.05)
    #expect(abs(PowerTransform.fitted(to: mixedSigns).lambda - 1.2333) <= 0.05)
}

@Test("a metric's units and offset change nothing")
func powerTransformIgnoresUnits() {
    let a = PowerTransform.fitted(to: longTail)
    let scaled = longTail.map { 1000 * $0 - 7 }
    let b = PowerTransform.fitted(to: scaled)
    #expect(a.lambda == b.lambda)
    for (y, s) in zip(longTail, scaled) { #expect(abs(a(y) - b(s)) <= 1e-9 * max(1, abs(a(y)))) }
}

@Test("a long tail of poor values is compressed; near-normal values are nearly left alone")
func powerTransformCompressesTails() {
    let transform = PowerTransform.fitted(to: longTail)
    #expect(transform.lambda < 1)
    #expect(abs(skewness(longTail.map { transform($0) })) < 0.5 * skewness(longTail))
    var rng = CounterRNG(seed: 9, stream: .search, 0)
    let normal = (0..<400).map { _ in 5 + 2 * rng.nextNormal() }
    #expect(abs(PowerTransform.fitted(to: normal).lambda - 1) <= 0.3)
}

@Test("fewer than 3 values, equal values and one huge outlier give finite values")
func powerTransformDegenerate() {
    for values in [[], [2.0], [1.0, 5.0], [3.0, 3.0, 3.0, 3.0], [0, 0, 0, 1e300], [1, 2, 3, -1e12]] {
        let transform = PowerTransform.fitted(to: values)
        #expect(transform.lambda.isFinite)
        #expect(values.allSatisfy { transform($0).isFinite }, "\(values) λ \(transform.lambda)")
    }
    #expect(PowerTransform.fitted(to: [1.0, 5.0]).lambda == 1)
    let huge = PowerTransform.fitted(to: [0, 0, 0, 1e300])
    #expect(huge(1e300) > huge(0))
}

@Test("the transform is fitted to measured values; failed trials are imputed as the worst transformed one")
func bayesWarpIgnoresImputedValues() {
    let space = SearchSpace(parameters: [SweepParameter(name: "x", distribution: .uniform(min: 0, max: 1))])
    let metrics: [Double?] = [0.4, 9, nil, 3.5, 40, nil, nil, 1.2, 300, nil]
    let history = metrics.enumerated().map { i, m in
        TrialObservation(id: i, configuration: ["x": .double(Double(i) / 10)], status: m == nil ? .failed : .finished, metric: m)
    }
    let search = BayesianSearch(space: space, goal: .minimize, seed: 1)
    let values = search.observations(history, warped: true).values
    let transform = PowerTransform.fitted(to: metrics.compactMap { $0 })
    let worst = transform(300)
    for (value, metric) in zip(values, metrics) { #expect(value == (metric.map { transform($0) } ?? worst)) }
    #expect(transform != PowerTransform.fitted(to: metrics.map { $0 ?? 300 }))
}

private let curve = SearchSpace(parameters: [
    SweepParameter(name: "x", distribution: .uniform(min: 0, max: 1)),
    SweepParameter(name: "y", distribution: .uniform(min: 0, max: 1)),
])

private func skewedHistory(_ metric: (Double) -> Double) -> [TrialObservation] {
    var rng = CounterRNG(seed: 5, stream: .test)
    return (0..<9).map { i in
        let (x, y) = (rng.nextDouble(), rng.nextDouble())
        let f = exp(6 * ((x - 0.3) * (x - 0.3) + (y - 0.6) * (y - 0.6))) - 1
        return TrialObservation(id: i, configuration: ["x": .double(x), "y": .double(y)], status: .finished, metric: metric(f))
    }
}

private func numbers(_ batch: [Configuration]) -> [Double] {
    batch.flatMap { configuration in ["x", "y"].compactMap { configuration[$0]?.number } }
}

@Test("the metric's units change no suggestion, and maximising y suggests what minimising −y does")
func bayesWarpIsAffineInvariant() throws {
    var plain = BayesianSearch(space: curve, goal: .minimize, seed: 3)
    var scaled = BayesianSearch(space: curve, goal: .minimize, seed: 3)
    var flipped = BayesianSearch(space: curve, goal: .maximize, seed: 3)
    let a = try plain.suggest(count: 3, history: skewedHistory { $0 })
    let b = try scaled.suggest(count: 3, history: skewedHistory { 250 * $0 + 17 })
    let c = try flipped.suggest(count: 3, history: skewedHistory { -$0 })
    #expect(a == c)
    let (na, nb) = (numbers(a), numbers(b))
    #expect(na.count == 6 && nb.count == 6)
    for (u, v) in zip(na, nb) { #expect(abs(u - v) <= 1e-6, "\(na) against \(nb)") }
}

@Test("the Bayesian search models transformed values unless told not to")
func bayesSearchWarpsValues() throws {
    let space = SearchSpace(parameters: [SweepParameter(name: "x", distribution: .uniform(min: 0, max: 1))])
    // A long tail: the unwarped GP spends its amplitude on x near 1.
    let history = (0..<8).map { i -> TrialObservation in
        let x = Double(i) / 7
        return TrialObservation(id: i, configuration: ["x": .double(x)], status: .finished, metric: exp(12 * x))
    }
    var warped = BayesianSearch(space: space, goal: .minimize, seed: 4)
    var plain = warped
    plain.warpsValues = false
    let a = try warped.suggest(count: 1, history: history), b = try plain.suggest(count: 1, history: history)
    #expect(a != b)
}
