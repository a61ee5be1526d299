// ParameterParser: one entry of `sweep.parameters` in Weights & Biases syntax (value, values,
// min/max, distribution, mu, sigma, q) to a typed distribution, with W&B's inference rules.
import Foundation
import Yams

/// Parses sweep parameter definitions.
public enum ParameterParser {
    /// Distributions accepted in `distribution:` (W&B names).
    public static let distributions = ["constant", "categorical", "uniform", "int_uniform", "log_uniform",
                                       "log_uniform_values", "q_uniform", "q_log_uniform", "q_log_uniform_values",
                                       "normal", "log_normal"]
    static let keys = ["value", "values", "min", "max", "distribution", "mu", "sigma", "q"]
    /// The most values one parameter's `values:` may list.
    public static let maxValues = 10_000

    /// The keys each distribution takes besides `distribution`.
    static let keysByDistribution: [String: Set<String>] = [
        "constant": ["value"], "categorical": ["values"],
        "uniform": ["min", "max"], "int_uniform": ["min", "max"],
        "log_uniform": ["min", "max"], "log_uniform_values": ["min", "max"],
        "q_uniform": ["min", "max", "q"], "q_log_uniform": ["min", "max", "q"], "q_log_uniform_values": ["min", "max", "q"],
        "normal": ["mu", "sigma"], "log_normal": ["mu", "sigma"],
    ]

    /// The distribution of one parameter. Without `distribution`, W&B's rules apply: `values` →
    /// categorical, `value` → constant, `min`/`max` both whole numbers → int_uniform, otherwise
    /// uniform. `mu` defaults to 0, `sigma` to 1, `q` to 1. `log_uniform` and `q_log_uniform`
    /// take min/max as natural logarithms (as in W&B) and are stored as their `_values` forms.
    public static func parse(_ value: ConfigValue) throws -> ParameterDistribution {
        let t = try value.table(allowed: keys)
        let name: String
        if let d = t["distribution"] {
            name = try d.choice(distributions)
        } else if t.contains("values") {
            name = "categorical"
        } else if t.contains("value") {
            name = "constant"
        } else if let lo = t["min"], let hi = t["max"] {
            name = isWholeNumber(lo) && isWholeNumber(hi) ? "int_uniform" : "uniform"
        } else if t.contains("min") || t.contains("max") {
            throw value.error("min and max go together", hint: "give both, e.g. min: 0.0001, max: 0.1")
        } else {
            throw value.error("cannot tell how to draw this parameter",
                              hint: "give value: V, values: [...], min and max, or a distribution with its keys")
        }
        let allowed = keysByDistribution[name]!
        for (key, v) in t.entries where key != "distribution" && !allowed.contains(key) {
            throw v.error("'\(key)' does not apply to distribution \(name)",
                          hint: "\(name) takes " + allowed.sorted().joined(separator: ", "))
        }

        switch name {
        case "constant":
            return .constant(try parameterValue(t.required("value")))
        case "categorical":
            let list = try t.required("values").list()
            guard !list.isEmpty else { throw t["values"]!.error("the values list is empty", hint: "list at least one value") }
            guard list.count <= maxValues else {
                throw t["values"]!.error("\(list.count) values are more than a sweep parameter may list (\(maxValues))",
                                         hint: "use a range (min/max) instead of listing every value")
            }
            var values: [ParameterValue] = []
            var seen: Set<ParameterValue> = []
            for item in list {
                let v = try parameterValue(item)
                guard seen.insert(v.canonical).inserted else {
                    throw item.error("\(v) is listed twice", hint: "each value once")
                }
                values.append(v)
            }
            return .categorical(values)
        case "int_uniform":
            let loValue = try t.required("min"), hiValue = try t.required("max")
            let lo = try loValue.int(hint: "int_uniform takes whole numbers")
            let hi = try hiValue.int(hint: "int_uniform takes whole numbers")
            guard lo <= hi else { throw loValue.error("min \(lo) is above max \(hi)", hint: "min must be at most max") }
            return .intUniform(min: lo, max: hi)
        case "normal", "log_normal":
            let mu = try t["mu"]?.double() ?? 0
            let sigma = try t["sigma"]?.double() ?? 1
            guard sigma > 0 else { throw t["sigma"]!.error("sigma must be above 0", hint: "a positive standard deviation such as 1") }
            // Draws reach mu ± 6 sigma; beyond these they would overflow to infinity (or 0 for log_normal).
            let reach = (abs(mu) + 6 * sigma)
            let limit = name == "normal" ? Double.greatestFiniteMagnitude : 700
            guard reach.isFinite, reach <= limit else {
                throw (t["mu"] ?? t["sigma"]!).error("\(name) with mu \(mu) and sigma \(sigma) draws values that overflow",
                                                     hint: name == "normal" ? "use a smaller mu or sigma"
                                                         : "log_normal draws exp(N(mu, sigma²)): keep |mu| + 6·sigma at most 700")
            }
            return name == "normal" ? .normal(mu: mu, sigma: sigma) : .logNormal(mu: mu, sigma: sigma)
        default:
            return try range(name, t)
        }
    }

    /// The min/max distributions: uniform, log-uniform and their q forms.
    private static func range(_ name: String, _ t: ConfigTable) throws -> ParameterDistribution {
        let loValue = try t.required("min"), hiValue = try t.required("max")
        var lo = try loValue.double(), hi = try hiValue.double()
        guard lo <= hi else { throw loValue.error("min \(lo) is above max \(hi)", hint: "min must be at most max") }
        if name == "log_uniform" || name == "q_log_uniform" {
            lo = exp(lo)
            hi = exp(hi)
            guard lo > 0, hi.isFinite else {
                throw loValue.error("\(name) takes natural logarithms, and exp(min) to exp(max) must be positive finite numbers",
                                    hint: "keep min and max between -700 and 700, or give the values themselves with \(name)_values")
            }
        } else if name.contains("log"), lo <= 0 {
            throw loValue.error("\(name) needs min above 0, got \(lo)",
                                hint: "a log range covers positive values, e.g. min: 0.0001, max: 0.1")
        }
        guard name.hasPrefix("q_") else {
            guard (hi - lo).isFinite else {
                throw loValue.error("the range from \(lo) to \(hi) is wider than a double can hold", hint: "narrow it")
            }
            return name == "uniform" ? .uniform(min: lo, max: hi) : .logUniformValues(min: lo, max: hi)
        }
        let qValue = t["q"]
        let q = try qValue?.double() ?? 1
        guard q > 0 else { throw qValue!.error("q must be above 0, got \(q)", hint: "the step values are rounded to, e.g. q: 0.05") }
        let multiples = ParameterDistribution.multiples(min: lo, max: hi, q: q)
        guard multiples.first <= multiples.last else {
            throw (qValue ?? loValue).error("no multiple of q = \(q) lies between min \(lo) and max \(hi)",
                                            hint: "widen the range or use a smaller q")
        }
        return name == "q_uniform" ? .qUniform(min: lo, max: hi, q: q) : .qLogUniformValues(min: lo, max: hi, q: q)
    }

    /// True for a plain YAML scalar that reads as a whole number (`3`, not `3.0`).
    private static func isWholeNumber(_ value: ConfigValue) -> Bool {
        guard case .scalar(let s) = value.node, s.style == .plain else { return false }
        return value.node.int != nil
    }

    /// A YAML value as a parameter value: a number, string, boolean, or a list of them.
    public static func parameterValue(_ value: ConfigValue) throws -> ParameterValue {
        switch value.node {
        case .scalar(let s):
            if s.style != .plain { return .string(s.string) }
            if value.node.null != nil {
                throw value.error("a parameter value cannot be null", hint: "give a number, string, true/false or a list")
            }
            if let i = value.node.int { return .int(i) }
            if let d = value.node.float {
                guard d.isFinite else { throw value.error("\(s.string) is not a finite number") }
                return .double(d)
            }
            if let b = value.node.bool { return .bool(b) }
            return .string(s.string)
        case .sequence:
            return .list(try value.list().map(parameterValue))
        case .mapping, .alias:
            throw value.error("expected a number, string, true/false or a list, got \(value.shown)")
        }
    }
}
