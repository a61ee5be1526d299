// PowerTransform: the Yeo–Johnson power transform of standardised values, with its exponent λ
// chosen by maximum likelihood, so the Gaussian process models a less skewed version of a metric.
import Foundation

/// A monotone increasing map of metric values onto a scale closer to normal.
///
/// Values are first standardised (so the result does not depend on the metric's units), then
/// mapped by Yeo–Johnson with the λ of a grid over [−3, 3] that maximises the normal
/// log-likelihood of the result (the criterion of Box–Cox; scikit-learn's `PowerTransformer`
/// fits λ to the raw values and standardises after, so its λ differs). A metric with a long tail
/// of large values (a loss from 0.4 to 300) gets λ < 1, which compresses that tail, so a
/// stationary GP does not spend its amplitude on it and stays confident where the small values
/// are; a long tail of small values gets λ > 1. λ = 1 is the identity on standardised values.
public struct PowerTransform: Sendable, Equatable {
    /// The fitted exponent.
    public let lambda: Double
    /// Standardisation applied before the transform: z = (y − offset) / scale.
    public let offset: Double
    public let scale: Double

    /// The λ searched: −3 to 3 in steps of 0.05.
    static let candidates = (0...120).map { -3 + 0.05 * Double($0) }

    /// The transform fitted to `values`; the identity (λ = 1) for fewer than 3 values.
    public static func fitted(to values: [Double]) -> PowerTransform {
        let (offset, scale) = GaussianProcess.standardisation(of: values)
        guard values.count >= 3 else { return PowerTransform(lambda: 1, offset: offset, scale: scale) }
        let identity = PowerTransform(lambda: 1, offset: offset, scale: scale)
        let z = values.map(identity.standardised)
        let jacobian = z.reduce(0) { $0 + ($1 >= 0 ? 1 : -1) * log1p(abs($1)) }
        var best: (likelihood: Double, lambda: Double) = (-.infinity, 1)
        for lambda in candidates {
            let t = z.map { yeoJohnson($0, lambda) }
            guard t.allSatisfy(\.isFinite) else { continue }
            let variance = GaussianProcess.moments(t).variance
            guard variance > 0 else { continue }
            let likelihood = -Double(t.count) / 2 * log(variance) + (lambda - 1) * jacobian
            if likelihood.isFinite, likelihood > best.likelihood { best = (likelihood, lambda) }
        }
        return PowerTransform(lambda: best.lambda, offset: offset, scale: scale)
    }

    /// The transformed value of `y`.
    public func callAsFunction(_ y: Double) -> Double { PowerTransform.yeoJohnson(standardised(y), lambda) }

    /// (y − offset) / scale, without overflowing in the subtraction.
    func standardised(_ y: Double) -> Double {
        let z = (y - offset) / scale
        return z.isFinite ? z : y / scale - offset / scale
    }

    /// Yeo–Johnson: ((z + 1)^λ − 1)/λ for z ≥ 0, −((1 − z)^(2−λ) − 1)/(2 − λ) below, with the
    /// logarithms at λ = 0 and λ = 2 (both on the grid exactly).
    static func yeoJohnson(_ z: Double, _ lambda: Double) -> Double {
        if z >= 0 { return abs(lambda) < 1e-12 ? log1p(z) : (pow(z + 1, lambda) - 1) / lambda }
        return abs(lambda - 2) < 1e-12 ? -log1p(-z) : -(pow(1 - z, 2 - lambda) - 1) / (2 - lambda)
    }
}
