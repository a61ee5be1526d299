// UnitCubeMapping: a search space as coordinates in [0, 1]^d for the Gaussian process —
// linear or log scale per distribution, integers and quantised values rounded, categoricals one-hot.
import Foundation

/// Maps configurations of a `SearchSpace` to points of the unit cube and back.
///
/// Each parameter owns a slice of the coordinates: none for a constant (or a one-value
/// categorical), one for a numeric distribution, one per value for a categorical (one-hot,
/// decoded by the largest coordinate). Log distributions are mapped on the log scale; normal
/// and log-normal ones cover mu ± 3 sigma (on the log scale for log-normal). `decode` rounds
/// integers and quantised values, so `decode(encode(c)) == c` for every valid configuration.
public struct UnitCubeMapping: Sendable {
    public let space: SearchSpace
    /// Number of unit-cube coordinates.
    public let dimension: Int
    /// First coordinate of each parameter, in `space.parameters` order.
    public let offsets: [Int]

    public init(space: SearchSpace) {
        self.space = space
        var offsets: [Int] = []
        var d = 0
        for p in space.parameters {
            offsets.append(d)
            d += UnitCubeMapping.width(of: p.distribution)
        }
        self.offsets = offsets
        self.dimension = d
    }

    /// Coordinates a distribution takes.
    static func width(of distribution: ParameterDistribution) -> Int {
        switch distribution {
        case .constant: return 0
        case .categorical(let values): return values.count > 1 ? values.count : 0
        default: return 1
        }
    }

    /// The numeric range a one-coordinate distribution spans, and whether it is log-scaled.
    private static func range(of distribution: ParameterDistribution) -> (lo: Double, hi: Double, log: Bool)? {
        switch distribution {
        case .uniform(let a, let b), .qUniform(let a, let b, _): return (a, b, false)
        case .intUniform(let a, let b): return (Double(a), Double(b), false)
        case .logUniformValues(let a, let b), .qLogUniformValues(let a, let b, _): return (Foundation.log(a), Foundation.log(b), true)
        case .normal(let mu, let sigma): return (mu - 3 * sigma, mu + 3 * sigma, false)
        case .logNormal(let mu, let sigma): return (mu - 3 * sigma, mu + 3 * sigma, true)
        case .constant, .categorical: return nil
        }
    }

    /// The unit-cube point of a configuration (missing or unknown values map to the middle).
    public func encode(_ configuration: Configuration) -> [Double] {
        var x = [Double](repeating: 0.5, count: dimension)
        for (p, offset) in zip(space.parameters, offsets) {
            let value = configuration[p.name]
            switch p.distribution {
            case .constant: break
            case .categorical(let values):
                guard values.count > 1 else { break }
                for k in 0..<values.count { x[offset + k] = values[k].canonical == value?.canonical ? 1 : 0 }
            default:
                guard let r = UnitCubeMapping.range(of: p.distribution), let v = value?.number else { break }
                let t = r.log ? Foundation.log(max(v, .leastNormalMagnitude)) : v
                x[offset] = r.hi > r.lo ? min(1, max(0, (t - r.lo) / (r.hi - r.lo))) : 0.5
            }
        }
        return x
    }

    /// The configuration at a unit-cube point (coordinates are clamped to [0, 1]).
    public func decode(_ x: [Double]) -> Configuration {
        precondition(x.count == dimension, "point has \(x.count) coordinates, the space \(dimension)")
        var configuration: Configuration = [:]
        for (p, offset) in zip(space.parameters, offsets) {
            switch p.distribution {
            case .constant(let v):
                configuration[p.name] = v
            case .categorical(let values):
                if values.count == 1 { configuration[p.name] = values[0]; continue }
                var best = 0
                for k in 1..<values.count where x[offset + k] > x[offset + best] { best = k }
                configuration[p.name] = values[best]
            default:
                let r = UnitCubeMapping.range(of: p.distribution)!
                let u = min(1, max(0, x[offset]))
                let t = r.lo + u * (r.hi - r.lo)
                let v = r.log ? Foundation.exp(t) : t
                configuration[p.name] = UnitCubeMapping.snap(v, p.distribution)
            }
        }
        return configuration
    }

    /// A numeric value rounded and clamped to what the distribution allows.
    static func snap(_ v: Double, _ distribution: ParameterDistribution) -> ParameterValue {
        switch distribution {
        case .intUniform(let a, let b):
            return .int(min(b, max(a, Int(v.rounded()))))
        case .qUniform(let a, let b, let q), .qLogUniformValues(let a, let b, let q):
            return ParameterDistribution.quantized(v, min: a, max: b, q: q)
        case .uniform(let a, let b), .logUniformValues(let a, let b):
            return .double(min(b, max(a, v)))
        default:
            return .double(v)
        }
    }

    /// Every configuration of a finite space (nil when it is continuous or has more than `limit`).
    public func allConfigurations(limit: Int = 100_000) -> [Configuration]? {
        guard let total = space.configurationCount, total <= limit else { return nil }
        return (0..<total).map(space.gridConfiguration(at:))
    }
}
