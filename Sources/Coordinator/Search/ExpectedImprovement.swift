// ExpectedImprovement: the expected improvement acquisition in log form, log EI = log σ + log h(z)
// with h(z) = zΦ(z) + φ(z), computed stably where EI itself underflows (z ≪ 0).
import Foundation

/// Expected improvement below an incumbent (minimisation), in log form.
public enum ExpectedImprovement {
    static let logSqrt2Pi = 0.5 * log(2 * Double.pi)
    static let sqrtHalfPi = (Double.pi / 2).squareRoot()

    /// Plain EI = σ h((best − μ)/σ); underflows to 0 far from the incumbent.
    public static func value(mean: Double, sd: Double, best: Double) -> Double {
        let z = (best - mean) / sd
        return sd * (z * normalCDF(z) + normalPDF(z))
    }

    /// log EI for a posterior N(mean, sd²) and incumbent `best`; finite for every finite input
    /// with sd > 0.
    public static func logValue(mean: Double, sd: Double, best: Double) -> Double {
        log(sd) + logH((best - mean) / sd).value
    }

    /// log h(z) and its derivative d log h / dz = Φ(z) / h(z).
    ///
    /// For z > −1, h is computed directly. Below, h(z) = φ(z) (1 + z M(z)) with
    /// M(z) = Φ(z)/φ(z) = √(π/2) erfcx(−z/√2), so log h = log φ(z) + log1p(z M(z)); beyond
    /// |z| = 10⁴ the asymptote log h ≈ log φ(z) − 2 log|z| is used.
    public static func logH(_ z: Double) -> (value: Double, derivative: Double) {
        if z > -1 {
            let h = z * normalCDF(z) + normalPDF(z)
            return (log(h), normalCDF(z) / h)
        }
        let logPhi = -0.5 * z * z - logSqrt2Pi
        if z < -1e4 {
            let z2 = z * z
            return (logPhi - log(z2) + log1p(-3 / z2), -z + 2 / -z)
        }
        let m = sqrtHalfPi * erfcx(-z / 2.0.squareRoot())
        let bracket = 1 + z * m
        return (logPhi + log(bracket), m / bracket)
    }

    /// log EI and its gradient in x, from the posterior mean/variance and their gradients.
    static func logValueAndGradient(mean: Double, variance: Double, dMean: [Double], dVariance: [Double],
                                    best: Double) -> (Double, [Double]) {
        let sd = variance.squareRoot()
        let z = (best - mean) / sd
        let (lh, dlh) = logH(z)
        var g = [Double](repeating: 0, count: dMean.count)
        for k in 0..<g.count {
            let dsd = dVariance[k] / (2 * sd)
            let dz = -dMean[k] / sd - z * dsd / sd
            g[k] = dsd / sd + dlh * dz
        }
        return (log(sd) + lh, g)
    }

    public static func normalPDF(_ z: Double) -> Double { exp(-0.5 * z * z - logSqrt2Pi) }
    public static func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// The scaled complementary error function exp(x²) erfc(x), for x ≥ 0.
    static func erfcx(_ x: Double) -> Double {
        if x < 25 { return exp(x * x) * erfc(x) }
        // Asymptotic series 1/(x√π) · (1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶)); error < 1e-10 here.
        let u = 1 / (2 * x * x)
        return (1 - u + 3 * u * u - 15 * u * u * u) / (x * Double.pi.squareRoot())
    }
}
