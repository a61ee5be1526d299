// ParameterSampling: how each distribution yields values — enumeration of discrete ones for
// grids, seeded draws for random search, and the canonical form used to spot repeated configurations.
import Foundation
import Model

extension ParameterDistribution {
    /// Number of values a discrete distribution has (nil for continuous ones, or a range too
    /// wide to count). q-distributions count the multiples of q inside [min, max].
    public var valueCount: Int? {
        switch self {
        case .constant: return 1
        case .categorical(let values): return values.count
        case .intUniform(let lo, let hi):
            let (span, overflow) = hi.subtractingReportingOverflow(lo)
            return overflow || span == Int.max ? nil : span + 1
        case .qUniform(let lo, let hi, let q), .qLogUniformValues(let lo, let hi, let q):
            let (first, last) = Self.multiples(min: lo, max: hi, q: q)
            let count = last - first + 1
            return count >= 1 && count < 9e15 ? Int(count) : nil
        default: return nil
        }
    }

    /// The `index`-th value of a discrete distribution in listed order (ranges ascending).
    public func enumeratedValue(at index: Int) -> ParameterValue {
        switch self {
        case .constant(let v): return v
        case .categorical(let values): return values[index]
        case .intUniform(let lo, _): return .int(lo + index)
        case .qUniform(let lo, let hi, let q), .qLogUniformValues(let lo, let hi, let q):
            return Self.multiple(Self.multiples(min: lo, max: hi, q: q).first + Double(index), q: q)
        default: preconditionFailure("enumeratedValue(at:) on a continuous distribution")
        }
    }

    /// A representative value: the constant, the first listed value, the lower end of a range,
    /// or the median of a normal / log-normal. Used to check a parameter against the job.
    public var firstValue: ParameterValue {
        switch self {
        case .constant(let v): return v
        case .categorical(let values): return values[0]
        case .intUniform(let lo, _): return .int(lo)
        case .uniform(let lo, _), .logUniformValues(let lo, _): return .double(lo)
        case .qUniform(let lo, let hi, let q), .qLogUniformValues(let lo, let hi, let q):
            return Self.quantized(lo, min: lo, max: hi, q: q)
        case .normal(let mu, _): return .double(mu)
        case .logNormal(let mu, _): return .double(exp(mu))
        }
    }

    /// The values `validate` tries against the job: every listed value, both ends of a range
    /// (as quantised or rounded), the median of a normal or log-normal.
    public var probeValues: [ParameterValue] {
        switch self {
        case .categorical(let values): return values
        case .intUniform(let lo, let hi): return lo == hi ? [.int(lo)] : [.int(lo), .int(hi)]
        case .uniform(let lo, let hi), .logUniformValues(let lo, let hi): return lo == hi ? [.double(lo)] : [.double(lo), .double(hi)]
        case .qUniform, .qLogUniformValues:
            let count = valueCount ?? 1
            return count > 1 ? [enumeratedValue(at: 0), enumeratedValue(at: count - 1)] : [enumeratedValue(at: 0)]
        default: return [firstValue]
        }
    }

    /// One draw from the distribution: log-uniform is uniform in log space, q-distributions round
    /// to a multiple of q inside [min, max], integer ranges include both ends.
    public func draw(using rng: inout CounterRNG) -> ParameterValue {
        switch self {
        case .constant(let v): return v
        case .categorical(let values): return values[Self.index(below: values.count, using: &rng)]
        case .intUniform(let lo, let hi):
            let span = UInt64(bitPattern: Int64(hi &- lo)) &+ 1
            let offset = span == 0 ? rng.next() : rng.next().multipliedFullWidth(by: span).high
            return .int(lo &+ Int(truncatingIfNeeded: offset))
        case .uniform(let lo, let hi):
            return .double(min(hi, lo + (hi - lo) * rng.nextDouble()))
        case .logUniformValues(let lo, let hi):
            return .double(Self.logUniform(lo, hi, rng.nextDouble()))
        case .qUniform(let lo, let hi, let q):
            return Self.quantized(lo + (hi - lo) * rng.nextDouble(), min: lo, max: hi, q: q)
        case .qLogUniformValues(let lo, let hi, let q):
            return Self.quantized(Self.logUniform(lo, hi, rng.nextDouble()), min: lo, max: hi, q: q)
        case .normal(let mu, let sigma):
            return .double(mu + sigma * rng.nextNormal())
        case .logNormal(let mu, let sigma):
            return .double(exp(mu + sigma * rng.nextNormal()))
        }
    }

    /// A uniform index in 0..<count without modulo bias.
    static func index(below count: Int, using rng: inout CounterRNG) -> Int {
        Int(rng.next().multipliedFullWidth(by: UInt64(count)).high)
    }

    private static func logUniform(_ lo: Double, _ hi: Double, _ u: Double) -> Double {
        min(hi, max(lo, exp(log(lo) + (log(hi) - log(lo)) * u)))
    }

    /// The one quantisation rule of every search method: round(x / q) · q, clamped to the
    /// multiples of q inside [min, max]; an integer when q is a whole number, otherwise a double
    /// with rounding noise removed (0.30000000000000004 → 0.3).
    static func quantized(_ x: Double, min lo: Double, max hi: Double, q: Double) -> ParameterValue {
        let (first, last) = multiples(min: lo, max: hi, q: q)
        return multiple(Swift.min(last, Swift.max(first, (x / q).rounded())), q: q)
    }

    /// The first and last k with k · q inside [min, max] (a relative tolerance of 1e-9 absorbs
    /// the rounding of min / q and max / q).
    static func multiples(min lo: Double, max hi: Double, q: Double) -> (first: Double, last: Double) {
        ((lo / q - 1e-9).rounded(.up), (hi / q + 1e-9).rounded(.down))
    }

    /// k · q as a parameter value (see `quantized`).
    static func multiple(_ k: Double, q: Double) -> ParameterValue {
        let v = k * q
        if q == q.rounded(), abs(v) < 9e15 { return .int(Int(v.rounded())) }
        return .double(Double(String(format: "%.12g", v)) ?? v)
    }
}

extension ParameterValue {
    /// YAML flow text for the value that `--set` overrides read back to the same value: strings
    /// are quoted when they would otherwise read as another type, doubles always carry a '.'.
    public var yamlText: String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d):
            var text = String(d)
            if !text.contains(".") && !text.contains("n") && !text.contains("i") {
                if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) { text.insert(contentsOf: ".0", at: e) }
                else { text += ".0" }
            }
            return text
        case .bool(let b): return String(b)
        case .string(let s):
            let keywords: Set<String> = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"]
            if s.range(of: #"^[A-Za-z_/][A-Za-z0-9_./-]*$"#, options: .regularExpression) != nil,
               !keywords.contains(s.lowercased()) {
                return s
            }
            let data = try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
            let json = data.flatMap { String(data: $0, encoding: .utf8) } ?? "[\"\"]"
            return String(json.dropFirst().dropLast())
        case .list(let items): return "[" + items.map(\.yamlText).joined(separator: ", ") + "]"
        }
    }

    /// The value with whole doubles as ints, so 1.0 and 1 count as the same configuration.
    var canonical: ParameterValue {
        switch self {
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return .int(Int(d))
        case .list(let items): return .list(items.map(\.canonical))
        default: return self
        }
    }
}

extension SearchSpace {
    /// The configuration with each value in the form its parameter declares: the listed value of
    /// a categorical (a stored 1 is the listed 1.0), ints for int ranges, quantised values for q
    /// ranges, doubles for continuous ones. Keys outside the space are kept as they are.
    public func normalized(_ configuration: Configuration) -> Configuration {
        var result = configuration
        for p in parameters {
            guard let value = configuration[p.name] else { continue }
            switch p.distribution {
            case .constant(let v):
                if v.canonical == value.canonical { result[p.name] = v }
            case .categorical(let values):
                if let listed = values.first(where: { $0.canonical == value.canonical }) { result[p.name] = listed }
            case .intUniform:
                if let x = value.number, x == x.rounded(), abs(x) < 9e15 { result[p.name] = .int(Int(x)) }
            case .qUniform(let lo, let hi, let q), .qLogUniformValues(let lo, let hi, let q):
                if let x = value.number { result[p.name] = ParameterDistribution.quantized(x, min: lo, max: hi, q: q) }
            case .uniform, .logUniformValues, .normal, .logNormal:
                if let x = value.number { result[p.name] = .double(x) }
            }
        }
        return result
    }

    /// The configuration's values in parameter order, canonicalised; nil when it lacks a
    /// parameter. Two configurations are the same trial when their keys are equal.
    func canonicalKey(_ configuration: Configuration) -> [ParameterValue]? {
        var key: [ParameterValue] = []
        key.reserveCapacity(parameters.count)
        for p in parameters {
            guard let v = configuration[p.name] else { return nil }
            key.append(v.canonical)
        }
        return key
    }

    /// The `index`-th configuration of a fully discrete space: the first parameter varies
    /// slowest, each parameter's values in listed order.
    public func gridConfiguration(at index: Int) -> Configuration {
        var rest = index
        var configuration: Configuration = [:]
        for p in parameters.reversed() {
            let n = p.distribution.valueCount!
            configuration[p.name] = p.distribution.enumeratedValue(at: rest % n)
            rest /= n
        }
        return configuration
    }
}
