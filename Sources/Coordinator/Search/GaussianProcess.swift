// GaussianProcess: GP regression on the unit cube with standardised outputs, a Matérn 5/2 ARD
// kernel plus noise, hyperparameters fitted by maximising the log marginal likelihood.
import CBLAS
import Foundation
import Model

/// A Gaussian process conditioned on observations, with fixed hyperparameters.
///
/// Targets are standardised (mean 0, standard deviation 1) with the statistics of the data it
/// was built from; `conditioned(on:)` adds fantasy points without changing them. Posterior means
/// and variances are reported in the targets' own units. The prior mean is the data mean.
public struct GaussianProcess: Sendable {
    public let kernel: MaternKernel
    /// Observation noise variance, in standardised units.
    public let noise: Double
    public private(set) var inputs: [[Double]]
    public private(set) var targets: [Double]
    /// Standardisation: z = (y − offset) / scale.
    public let offset: Double
    public let scale: Double
    private var cholesky: Cholesky
    /// K⁻¹ z.
    private var alpha: [Double]

    /// Conditions on `inputs` (points in [0, 1]^d) and `targets` with the given kernel and noise
    /// (default 1e-6). Nil only when even a jittered Cholesky factorisation fails.
    public init?(inputs: [[Double]], targets: [Double], kernel: MaternKernel, noise: Double = 1e-6,
                 standardisation: (offset: Double, scale: Double)? = nil) {
        precondition(inputs.count == targets.count)
        let (offset, scale) = standardisation ?? GaussianProcess.standardisation(of: targets)
        let z = targets.map { ($0 - offset) / scale }
        guard let chol = Cholesky(matrix: GaussianProcess.covariance(inputs, kernel, noise), n: inputs.count) else { return nil }
        (self.kernel, self.noise, self.inputs, self.targets) = (kernel, noise, inputs, targets)
        (self.offset, self.scale, self.cholesky, self.alpha) = (offset, scale, chol, chol.solve(z))
    }

    /// Mean and standard deviation of the targets (scale 1 when they are all equal). Values so
    /// large that the sums overflow (beyond about 1e154) are measured in units of the largest.
    static func standardisation(of y: [Double]) -> (Double, Double) {
        guard !y.isEmpty else { return (0, 1) }
        let (plainMean, variance) = moments(y)
        var (mean, sd) = (plainMean, variance.squareRoot())
        if !mean.isFinite || !sd.isFinite {
            let largest = y.reduce(0) { max($0, abs($1)) }
            let (m, v) = moments(y.map { $0 / largest })
            (mean, sd) = (m * largest, v.squareRoot() * largest)
        }
        return (mean, sd > 1e-12 ? sd : 1)
    }

    /// Mean and population variance of non-empty `v`.
    static func moments(_ v: [Double]) -> (mean: Double, variance: Double) {
        let mean = v.reduce(0, +) / Double(v.count)
        return (mean, v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count))
    }

    /// K + noise·I, column-major.
    static func covariance(_ x: [[Double]], _ kernel: MaternKernel, _ noise: Double) -> [Double] {
        let n = x.count
        var k = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            k[j * n + j] = kernel.variance + noise
            for i in 0..<j {
                let v = kernel(x[i], x[j])
                k[j * n + i] = v
                k[i * n + j] = v
            }
        }
        return k
    }

    /// The same process with more (fantasy) observations, same hyperparameters and standardisation.
    public func conditioned(on points: [[Double]], targets more: [Double]) -> GaussianProcess? {
        GaussianProcess(inputs: inputs + points, targets: targets + more, kernel: kernel, noise: noise,
                        standardisation: (offset, scale))
    }

    /// Posterior mean and variance of the latent function at `x` (targets' units).
    public func posterior(_ x: [Double]) -> (mean: Double, variance: Double) {
        let p = predict(x, gradient: false)
        return (p.mean, p.variance)
    }

    /// Posterior mean and latent variance at `x`, and (when asked) their gradients in x.
    func predict(_ x: [Double], gradient: Bool) -> (mean: Double, variance: Double, dMean: [Double], dVariance: [Double]) {
        let n = inputs.count, d = x.count
        var kStar = [Double](repeating: 0, count: n)
        var dMean = [Double](repeating: 0, count: gradient ? d : 0)
        x.withUnsafeBufferPointer { xp in
            for i in 0..<n {
                inputs[i].withUnsafeBufferPointer { yp in
                    kStar[i] = gradient ? kernel.accumulateInputGradient(xp, yp, weight: alpha[i], into: &dMean) : kernel(xp, yp)
                }
            }
        }
        var mean = 0.0
        for i in 0..<n { mean += alpha[i] * kStar[i] }
        var v = kStar
        cholesky.solveLower(&v)
        var variance = kernel.variance
        for i in 0..<n { variance -= v[i] * v[i] }
        variance = max(variance, 1e-12 * kernel.variance)
        var dVariance: [Double] = []
        if gradient {
            // ∂var/∂x = −2 (K⁻¹k*)ᵀ ∂k*/∂x.
            var w = v
            if n > 0 {
                cholesky.factor.withUnsafeBufferPointer { f in
                    w.withUnsafeMutableBufferPointer {
                        cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, Int32(n), f.baseAddress, Int32(n), $0.baseAddress, 1)
                    }
                }
            }
            dVariance = [Double](repeating: 0, count: d)
            x.withUnsafeBufferPointer { xp in
                for i in 0..<n {
                    inputs[i].withUnsafeBufferPointer { yp in
                        _ = kernel.accumulateInputGradient(xp, yp, weight: -2 * w[i], into: &dVariance)
                    }
                }
            }
            for k in 0..<d { dMean[k] *= scale; dVariance[k] *= scale * scale }
        }
        return (offset + scale * mean, scale * scale * variance, dMean, dVariance)
    }

    // MARK: - Hyperparameters

    /// Log hyperparameters θ = (log ℓ_1 … log ℓ_d, log σ², log noise) and their bounds.
    ///
    /// Length scales stay within [0.01, `lengthScaleLimit`] of the unit cube. At the limit, 5, a
    /// coordinate still moves the covariance across the cube (k(0, 1) = 0.97 σ²), so the
    /// posterior keeps some uncertainty along it; with a limit of 20 a few early points often made
    /// a coordinate look irrelevant for good (Hartmann 3's x1, ℓ₁ ≈ 10), and the search refined the
    /// others with it stuck at the wrong value.
    static func bounds(dimension d: Int) -> (lower: [Double], upper: [Double]) {
        (Array(repeating: log(0.01), count: d) + [log(0.01), log(1e-8)],
         Array(repeating: log(lengthScaleLimit), count: d) + [log(100.0), log(1.0)])
    }

    /// Largest length scale a fit may choose (5).
    static let lengthScaleLimit = 5.0

    /// (x_i,m − x_j,m)² for every pair i < j (pairs in order j = 1…n−1, i = 0…j−1) and dimension m:
    /// fixed while the hyperparameters move, so computed once per fit.
    static func squaredDifferences(_ x: [[Double]]) -> [Double] {
        let n = x.count, d = x.first?.count ?? 0
        var out = [Double](); out.reserveCapacity(n * (n - 1) / 2 * d)
        for j in 0..<n { for i in 0..<j { for m in 0..<d { let t = x[i][m] - x[j][m]; out.append(t * t) } } }
        return out
    }

    /// Log marginal likelihood of standardised targets `z` and its gradient in θ:
    /// log p = −½ zᵀα − ½ log|K| − (n/2) log 2π;  ∂/∂θ_j = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ_j).
    /// `squared` is `squaredDifferences(inputs)`.
    static func logMarginalLikelihood(_ theta: [Double], squared: [Double], n: Int, z: [Double]) -> (value: Double, gradient: [Double])? {
        let d = theta.count - 2
        let inverseSquaredScales = theta[0..<d].map { exp(-2 * $0) }
        let variance = exp(theta[d]), noise = exp(theta[d + 1])
        // One pass over the pairs: K, and per pair the factor ∂k/∂ log ℓ_m = f · diff²_m / ℓ_m².
        var k = [Double](repeating: 0, count: n * n)
        var factors = [Double](repeating: 0, count: n * (n - 1) / 2)
        var p = 0
        for j in 0..<n {
            k[j * n + j] = variance + noise
            for i in 0..<j {
                var r2 = 0.0
                for m in 0..<d { r2 += squared[p * d + m] * inverseSquaredScales[m] }
                let s = MaternKernel.sqrt5 * r2.squareRoot()
                let e = exp(-s)
                let v = variance * (1 + s + s * s / 3) * e
                k[j * n + i] = v; k[i * n + j] = v
                factors[p] = variance * (5.0 / 3.0) * (1 + s) * e
                p += 1
            }
        }
        guard let chol = Cholesky(matrix: k, n: n) else { return nil }
        let alpha = chol.solve(z)
        var value = -0.5 * chol.logDeterminant - 0.5 * Double(n) * log(2 * Double.pi)
        for i in 0..<n { value -= 0.5 * z[i] * alpha[i] }
        let kInv = chol.inverse()
        var gradient = [Double](repeating: 0, count: d + 2)
        p = 0
        for j in 0..<n {
            let wjj = alpha[j] * alpha[j] - kInv[j * n + j]
            gradient[d] += 0.5 * wjj * variance
            gradient[d + 1] += 0.5 * wjj * noise
            for i in 0..<j {
                let w = alpha[i] * alpha[j] - kInv[j * n + i]   // ½ · 2 for the symmetric pair
                let wf = w * factors[p]
                for m in 0..<d { gradient[m] += wf * squared[p * d + m] * inverseSquaredScales[m] }
                gradient[d] += w * k[j * n + i]
                p += 1
            }
        }
        return (value, gradient)
    }

    /// Fits the kernel and noise by maximising the log marginal likelihood from `restarts`
    /// starting points (default 3: a fixed one, then random ones from `rng`), then conditions on
    /// the data. Nil when there are no inputs or nothing factorises.
    public static func fit(inputs: [[Double]], targets: [Double], restarts: Int = 3,
                           rng: inout CounterRNG) -> GaussianProcess? {
        guard let d = inputs.first?.count else { return nil }
        let (offset, scale) = standardisation(of: targets)
        let z = targets.map { ($0 - offset) / scale }
        let (lower, upper) = bounds(dimension: d)
        var starts = [Array(repeating: log(0.5), count: d) + [0, log(1e-3)]]
        for _ in 1..<max(1, restarts) {
            let ls = (0..<d).map { _ in log(0.05) + rng.nextDouble() * (log(2.0) - log(0.05)) }
            starts.append(ls + [log(0.3) + rng.nextDouble() * (log(3.0) - log(0.3)),
                                log(1e-6) + rng.nextDouble() * (log(0.1) - log(1e-6))])
        }
        let optimizer = BoundedLBFGS(lower: lower, upper: upper, maxIterations: 50, gradientTolerance: 1e-5)
        let squared = squaredDifferences(inputs)
        var best: (theta: [Double], value: Double)?
        for start in starts {
            let result = optimizer.minimize(from: start) { theta in
                guard let (v, g) = logMarginalLikelihood(theta, squared: squared, n: inputs.count, z: z), v.isFinite else {
                    return (.infinity, [Double](repeating: 0, count: theta.count))
                }
                return (-v, g.map { -$0 })
            }
            if result.value.isFinite, best == nil || result.value < best!.value { best = (result.x, result.value) }
        }
        let theta = best?.theta ?? starts[0]
        let kernel = MaternKernel(dimension: d, lengthScales: theta[0..<d].map { exp($0) }, variance: exp(theta[d]))
        return GaussianProcess(inputs: inputs, targets: targets, kernel: kernel, noise: exp(theta[d + 1]),
                               standardisation: (offset, scale))
    }
}
