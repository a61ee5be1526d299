// MaternKernel: the Matérn 5/2 covariance with one length scale per dimension (ARD), its
// gradient with respect to its log hyperparameters, and with respect to an input point.
import Foundation

/// k(x, y) = σ² (1 + √5 r + 5r²/3) exp(−√5 r), r² = Σ_d (x_d − y_d)² / ℓ_d².
public struct MaternKernel: Sendable, Equatable {
    /// One length scale per unit-cube dimension.
    public var lengthScales: [Double]
    /// Signal variance σ².
    public var variance: Double

    /// Default: every length scale 0.5, variance 1 (sensible on the unit cube with
    /// standardised outputs).
    public init(dimension: Int, lengthScales: [Double]? = nil, variance: Double = 1) {
        self.lengthScales = lengthScales ?? [Double](repeating: 0.5, count: dimension)
        self.variance = variance
        precondition(self.lengthScales.count == dimension)
    }

    public var dimension: Int { lengthScales.count }

    static let sqrt5 = 5.0.squareRoot()

    /// The covariance of two points.
    @inline(__always)
    public func callAsFunction(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Double>) -> Double {
        var r2 = 0.0
        for d in 0..<lengthScales.count {
            let t = (x[d] - y[d]) / lengthScales[d]
            r2 += t * t
        }
        return value(r: r2.squareRoot())
    }

    public func callAsFunction(_ x: [Double], _ y: [Double]) -> Double {
        x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { self(xp, $0) } }
    }

    @inline(__always)
    func value(r: Double) -> Double {
        let s = MaternKernel.sqrt5 * r
        return variance * (1 + s + s * s / 3) * exp(-s)
    }

    /// The common factor of every derivative: σ² (5/3)(1 + √5 r) exp(−√5 r).
    @inline(__always)
    func derivativeFactor(r: Double) -> Double {
        let s = MaternKernel.sqrt5 * r
        return variance * (5.0 / 3.0) * (1 + s) * exp(-s)
    }

    /// ∂k/∂ log ℓ_d for every d, written to `out` (plus ∂k/∂ log σ² = k returned).
    /// ∂k/∂ log ℓ_d = σ² (5/3)(1 + √5 r) e^{−√5 r} (x_d − y_d)² / ℓ_d².
    public func gradient(_ x: [Double], _ y: [Double], into out: inout [Double]) -> Double {
        var r2 = 0.0
        for d in 0..<dimension { let t = (x[d] - y[d]) / lengthScales[d]; out[d] = t * t; r2 += t * t }
        let r = r2.squareRoot()
        let f = derivativeFactor(r: r)
        for d in 0..<dimension { out[d] *= f }
        return value(r: r)
    }

    /// ∂k(x, y)/∂x_d = −σ² (5/3)(1 + √5 r) e^{−√5 r} (x_d − y_d) / ℓ_d², accumulated as
    /// `out[d] += weight · ∂k/∂x_d`; returns k(x, y).
    @inline(__always)
    func accumulateInputGradient(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Double>,
                                 weight: Double, into out: inout [Double]) -> Double {
        var r2 = 0.0
        for d in 0..<lengthScales.count { let t = (x[d] - y[d]) / lengthScales[d]; r2 += t * t }
        let r = r2.squareRoot()
        let f = -weight * derivativeFactor(r: r)
        for d in 0..<lengthScales.count { out[d] += f * (x[d] - y[d]) / (lengthScales[d] * lengthScales[d]) }
        return value(r: r)
    }
}
