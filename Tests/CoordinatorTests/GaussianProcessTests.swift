// Gaussian process tests: posterior mean and variance against hand-computed 1-D and 2-D cases,
// kernel and likelihood gradients against finite differences, and log EI where EI underflows.
import Foundation
import Testing
@testable import Coordinator
import Model

/// Matérn 5/2 with unit variance at scaled distance r, written out by hand.
private func matern(_ r: Double) -> Double { (1 + 5.0.squareRoot() * r + 5 * r * r / 3) * exp(-5.0.squareRoot() * r) }

struct PosteriorCase: CustomTestStringConvertible, Sendable {
    let label: String
    let inputs: [[Double]], targets: [Double], lengthScales: [Double], query: [Double]
    let mean: Double, variance: Double
    var testDescription: String { label }
}

/// Two observations: K = [[1, c], [c, 1]], so K⁻¹ = [[1, −c], [−c, 1]] / (1 − c²); standardised
/// targets are ±1; mean = offset + scale · k*ᵀK⁻¹z, variance = scale²(1 − k*ᵀK⁻¹k*).
private func twoPointCase(_ label: String, _ x0: [Double], _ x1: [Double], _ y0: Double, _ y1: Double,
                          _ ls: [Double], _ q: [Double]) -> PosteriorCase {
    func r(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for m in 0..<a.count { let t = (a[m] - b[m]) / ls[m]; s += t * t }
        return s.squareRoot()
    }
    let c = matern(r(x0, x1)), ka = matern(r(q, x0)), kb = matern(r(q, x1))
    let det = 1 - c * c
    let offset = (y0 + y1) / 2, scale = abs(y1 - y0) / 2
    let z0 = (y0 - offset) / scale, z1 = (y1 - offset) / scale
    let kinvZ = (z0 - c * z1) / det, kinvZ1 = (z1 - c * z0) / det
    let quad = (ka * ka - 2 * c * ka * kb + kb * kb) / det
    return PosteriorCase(label: label, inputs: [x0, x1], targets: [y0, y1], lengthScales: ls, query: q,
                         mean: offset + scale * (ka * kinvZ + kb * kinvZ1), variance: scale * scale * (1 - quad))
}

private let posteriorCases: [PosteriorCase] = [
    twoPointCase("1-D midpoint", [0], [1], 1, 3, [0.5], [0.5]),
    twoPointCase("1-D off-centre", [0], [1], 1, 3, [0.5], [0.25]),
    twoPointCase("1-D outside the data", [0.2], [0.6], -4, 2, [0.3], [0.95]),
    twoPointCase("2-D ARD", [0, 0], [1, 1], 0, 2, [0.5, 2], [0.2, 0.7]),
    twoPointCase("2-D at an observation", [0.1, 0.9], [0.8, 0.3], 5, 1, [0.4, 0.7], [0.1, 0.9]),
]

@Test("GP posterior mean and variance match the hand-computed values", arguments: posteriorCases)
func posteriorMatchesHandComputation(_ c: PosteriorCase) throws {
    let kernel = MaternKernel(dimension: c.lengthScales.count, lengthScales: c.lengthScales)
    let gp = try #require(GaussianProcess(inputs: c.inputs, targets: c.targets, kernel: kernel, noise: 1e-12))
    let p = gp.posterior(c.query)
    #expect(abs(p.mean - c.mean) < 1e-6 * max(1, abs(c.mean)))
    #expect(abs(p.variance - max(c.variance, 0)) < 1e-6)
}

@Test("one observation in 2-D: the mean is the observation, the variance 1 − k²")
func singleObservation2D() throws {
    let kernel = MaternKernel(dimension: 2, lengthScales: [0.5, 2])
    let gp = try #require(GaussianProcess(inputs: [[0, 0]], targets: [5], kernel: kernel, noise: 0))
    let r = ((0.3 / 0.5) * (0.3 / 0.5) + (0.4 / 2) * (0.4 / 2)).squareRoot()
    let p = gp.posterior([0.3, 0.4])
    #expect(abs(p.mean - 5) < 1e-12)
    #expect(abs(p.variance - (1 - matern(r) * matern(r))) < 1e-9)
}

struct EICase: CustomTestStringConvertible, Sendable {
    let label: String, mean: Double, sd: Double, best: Double, expected: Double
    var testDescription: String { label }
}

@Test("EI against hand-computed values", arguments: [
    EICase(label: "at the incumbent: σφ(0)", mean: 0, sd: 1, best: 0, expected: 0.3989422804),
    EICase(label: "z = −0.5, σ = 2", mean: 1, sd: 2, best: 0, expected: 2 * (-0.5 * 0.3085375387 + 0.3520653268)),
    EICase(label: "z = 2: close to the improvement", mean: -2, sd: 1, best: 0, expected: 2 * 0.9772498681 + 0.0539909665),
])
func expectedImprovementValues(_ c: EICase) {
    #expect(abs(ExpectedImprovement.value(mean: c.mean, sd: c.sd, best: c.best) - c.expected) < 1e-8)
    #expect(abs(ExpectedImprovement.logValue(mean: c.mean, sd: c.sd, best: c.best) - log(c.expected)) < 1e-8)
}

@Test("log EI agrees with log(EI) where EI is representable", arguments: [-0.5, -1.5, -3.0, -6.0, -10.0])
func logEIMatchesDirect(z: Double) {
    let direct = log(z * ExpectedImprovement.normalCDF(z) + ExpectedImprovement.normalPDF(z))
    #expect(abs(ExpectedImprovement.logH(z).value - direct) < 1e-6 * abs(direct))
}

@Test("log EI stays finite and increasing where EI underflows to zero")
func logEIFiniteAndMonotone() {
    #expect(ExpectedImprovement.value(mean: 50, sd: 1, best: 0) == 0)
    var previous = -Double.infinity
    var z = -1e6
    while z < 3 {
        let (v, slope) = ExpectedImprovement.logH(z)
        #expect(v.isFinite && slope.isFinite && slope > 0, "z = \(z)")
        #expect(v > previous, "log h not increasing at z = \(z)")
        previous = v
        z = z < -100 ? z * 0.97 : z + 0.37
    }
    // Far out, log h(z) ≈ −z²/2 − log √(2π) − 2 log|z|.
    let z0 = -200.0
    #expect(abs(ExpectedImprovement.logH(z0).value - (-z0 * z0 / 2 - 0.5 * log(2 * Double.pi) - 2 * log(-z0))) < 1e-3)
}

@Test("Matérn hyperparameter gradient matches finite differences")
func kernelGradient() {
    let kernel = MaternKernel(dimension: 3, lengthScales: [0.3, 0.8, 1.7], variance: 1.4)
    let x = [0.1, 0.5, 0.9], y = [0.4, 0.2, 0.3]
    var g = [Double](repeating: 0, count: 3)
    let k = kernel.gradient(x, y, into: &g)
    #expect(abs(k - kernel(x, y)) < 1e-14)
    let h = 1e-6
    for d in 0..<3 {
        var plus = kernel, minus = kernel
        plus.lengthScales[d] *= exp(h); minus.lengthScales[d] *= exp(-h)
        let fd = (plus(x, y) - minus(x, y)) / (2 * h)
        #expect(abs(fd - g[d]) < 1e-7, "dimension \(d)")
    }
}

/// Eight points of a smooth 2-D function, for the gradient checks.
private let sampleInputs: [[Double]] = (0..<8).map { (i: Int) -> [Double] in [Double(i) / 7, Double((i * 3) % 8) / 7] }
private let sampleTargets: [Double] = sampleInputs.map { (p: [Double]) -> Double in sin(4 * p[0]) + p[1] * p[1] }

@Test("log marginal likelihood gradient matches finite differences")
func likelihoodGradient() throws {
    let n = sampleInputs.count
    let mean = sampleTargets.reduce(0, +) / Double(n)
    let z = sampleTargets.map { $0 - mean }
    let squared = GaussianProcess.squaredDifferences(sampleInputs)
    let theta = [log(0.4), log(0.9), log(1.3), log(1e-3)]
    let (_, g) = try #require(GaussianProcess.logMarginalLikelihood(theta, squared: squared, n: n, z: z))
    let h = 1e-5
    for j in 0..<theta.count {
        var plus = theta, minus = theta
        plus[j] += h; minus[j] -= h
        let fp = try #require(GaussianProcess.logMarginalLikelihood(plus, squared: squared, n: n, z: z)).value
        let fm = try #require(GaussianProcess.logMarginalLikelihood(minus, squared: squared, n: n, z: z)).value
        #expect(abs((fp - fm) / (2 * h) - g[j]) < 1e-5 * max(1, abs(g[j])), "θ[\(j)]")
    }
}

@Test("posterior and log EI input gradients match finite differences")
func inputGradients() throws {
    var rng = CounterRNG(seed: 3, stream: .test)
    let gp = try #require(GaussianProcess.fit(inputs: sampleInputs, targets: sampleTargets, rng: &rng))
    let best = sampleTargets.min()!
    let x = [0.37, 0.61], h = 1e-6
    let p = gp.predict(x, gradient: true)
    let (_, gEI) = ExpectedImprovement.logValueAndGradient(mean: p.mean, variance: p.variance, dMean: p.dMean,
                                                           dVariance: p.dVariance, best: best)
    for d in 0..<2 {
        var xp = x, xm = x
        xp[d] += h; xm[d] -= h
        let a = gp.posterior(xp), b = gp.posterior(xm)
        #expect(abs((a.mean - b.mean) / (2 * h) - p.dMean[d]) < 1e-5 * max(1, abs(p.dMean[d])))
        #expect(abs((a.variance - b.variance) / (2 * h) - p.dVariance[d]) < 1e-5 * max(1, abs(p.dVariance[d])))
        let ea = ExpectedImprovement.logValue(mean: a.mean, sd: a.variance.squareRoot(), best: best)
        let eb = ExpectedImprovement.logValue(mean: b.mean, sd: b.variance.squareRoot(), best: best)
        #expect(abs((ea - eb) / (2 * h) - gEI[d]) < 1e-4 * max(1, abs(gEI[d])))
    }
}

@Test("fitting raises the likelihood above the default start")
func fittingImprovesLikelihood() throws {
    var rng = CounterRNG(seed: 5, stream: .test)
    let gp = try #require(GaussianProcess.fit(inputs: sampleInputs, targets: sampleTargets, rng: &rng))
    let z = sampleTargets.map { ($0 - gp.offset) / gp.scale }
    let squared = GaussianProcess.squaredDifferences(sampleInputs)
    let start = [log(0.5), log(0.5), 0, log(1e-3)]
    let fitted = gp.kernel.lengthScales.map { log($0) } + [log(gp.kernel.variance), log(gp.noise)]
    let l0 = try #require(GaussianProcess.logMarginalLikelihood(start, squared: squared, n: 8, z: z)).value
    let l1 = try #require(GaussianProcess.logMarginalLikelihood(fitted, squared: squared, n: 8, z: z)).value
    #expect(l1 >= l0)
}

@Test("Cholesky adds jitter when the matrix is singular, and solves against LAPACK's factor")
func choleskyJitter() throws {
    // Two identical points, no noise: K = [[1, 1], [1, 1]] is singular.
    let singular = try #require(Cholesky(matrix: [1, 1, 1, 1], n: 2))
    #expect(singular.jitter > 0)
    let spd = try #require(Cholesky(matrix: [4, 2, 2, 3], n: 2))
    #expect(spd.jitter == 0)
    let x = spd.solve([2, 1])   // [[4, 2], [2, 3]] x = [2, 1] → x = [0.5, 0]
    #expect(abs(x[0] - 0.5) < 1e-12 && abs(x[1]) < 1e-12)
    #expect(abs(spd.logDeterminant - log(8)) < 1e-12)
    // A GP on duplicated observations still conditions.
    let gp = GaussianProcess(inputs: [[0.5], [0.5], [0.1]], targets: [1, 1.2, 3],
                             kernel: MaternKernel(dimension: 1), noise: 0)
    #expect(gp != nil)
}

@Test("a coordinate the targets ignore gets a length scale at most 5, not an unbounded one")
func lengthScaleLimit() throws {
    var rng = CounterRNG(seed: 7, stream: .test)
    let inputs = (0..<10).map { _ in [rng.nextDouble(), rng.nextDouble()] }
    let targets = inputs.map { sin(6 * $0[0]) }   // x2 plays no part
    let gp = try #require(GaussianProcess.fit(inputs: inputs, targets: targets, rng: &rng))
    #expect(GaussianProcess.bounds(dimension: 2).upper[1] == log(GaussianProcess.lengthScaleLimit))
    #expect(gp.kernel.lengthScales[1] <= GaussianProcess.lengthScaleLimit * (1 + 1e-9))
    #expect(gp.kernel.lengthScales[0] < gp.kernel.lengthScales[1])
}
