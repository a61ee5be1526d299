// SearchSpace: the sweep's parameters (Weights & Biases syntax: value, values, min/max,
// distribution) as typed distributions, and the values a trial's configuration holds.

/// One value of a sweep parameter, as it is written into the job.
public enum ParameterValue: Sendable, Hashable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
    /// A list, e.g. hidden sizes `[512, 256]`.
    case list([ParameterValue])

    /// The value as a number, when it is one.
    public var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// YAML/command-line text for the value (`0.01`, `relu`, `[512, 256]`).
    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .bool(let b): return String(b)
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

/// How a parameter's values are drawn (W&B's `distribution`, or inferred from the keys).
public enum ParameterDistribution: Sendable, Equatable {
    /// `value: v` — always v.
    case constant(ParameterValue)
    /// `values: [...]` — one of the listed values (W&B `categorical`).
    case categorical([ParameterValue])
    /// Uniform on [min, max].
    case uniform(min: Double, max: Double)
    /// Uniform integer in [min, max].
    case intUniform(min: Int, max: Int)
    /// log-uniform on [min, max] (min > 0).
    case logUniformValues(min: Double, max: Double)
    /// round(uniform(min, max) / q) · q.
    case qUniform(min: Double, max: Double, q: Double)
    /// round(logUniform(min, max) / q) · q.
    case qLogUniformValues(min: Double, max: Double, q: Double)
    /// Normal(mu, sigma).
    case normal(mu: Double, sigma: Double)
    /// exp(Normal(mu, sigma)).
    case logNormal(mu: Double, sigma: Double)

    /// True when the parameter has finitely many values (grid search can enumerate it):
    /// constants, categoricals, integer ranges and q-quantised ranges.
    public var isDiscrete: Bool {
        switch self {
        case .constant, .categorical, .intUniform, .qUniform, .qLogUniformValues: return true
        default: return false
        }
    }
}

/// One swept parameter: a dotted path into `job` (e.g. `optimizer.lr`) and its distribution.
public struct SweepParameter: Sendable, Equatable {
    public var name: String
    public var distribution: ParameterDistribution
    public init(name: String, distribution: ParameterDistribution) {
        self.name = name
        self.distribution = distribution
    }
}

/// All swept parameters, in config order.
public struct SearchSpace: Sendable, Equatable {
    public var parameters: [SweepParameter]
    public init(parameters: [SweepParameter]) { self.parameters = parameters }
}

/// A trial's parameter values by name.
public typealias Configuration = [String: ParameterValue]

/// Whether the sweep's metric is to be minimised or maximised.
public enum MetricGoal: String, Sendable, Equatable, CaseIterable {
    case minimize, maximize

    /// Whether a metric of this name reads as higher-is-better: an accuracy (`val_acc`,
    /// `accuracy`), an F1 score (`test_macro_f1`), an AUC, a precision or a recall.
    public static func readsAsHigherIsBetter(_ name: String) -> Bool {
        let words = name.lowercased().split { !$0.isLetter && !$0.isNumber }
        return words.contains { ["acc", "accuracy", "f1", "auc", "precision", "recall"].contains($0) }
    }
}

// `TrialStatus` (the state of a trial) is in Sweep/TrialLifecycle.swift, beside its transitions.

/// Everything known about one trial: its configuration, status, final metric and the
/// metric after each reported epoch (1-based), for early termination.
public struct TrialObservation: Sendable, Equatable {
    public var id: Int
    public var configuration: Configuration
    public var status: TrialStatus
    /// Final metric value (nil while running, or for a failed trial).
    public var metric: Double?
    /// Metric after each epoch, keyed by epoch number.
    public var intermediate: [Int: Double]
    public init(id: Int, configuration: Configuration, status: TrialStatus, metric: Double? = nil,
                intermediate: [Int: Double] = [:]) {
        self.id = id
        self.configuration = configuration
        self.status = status
        self.metric = metric
        self.intermediate = intermediate
    }
}

/// The space has no untried configuration left (a finite space, fully enumerated).
public struct SearchExhausted: Error, CustomStringConvertible, Equatable {
    public let tried: Int
    public init(tried: Int) { self.tried = tried }
    public var description: String {
        "the search space is exhausted: all \(tried) distinct configurations have been tried or are pending"
    }
}

/// A search method: given every trial so far (pending and running ones included), propose
/// the next configurations. Implementations are deterministic for a given seed and history.
public protocol SearchStrategy {
    /// Up to `count` new configurations, distinct from each other and from every trial in
    /// `history`. Throws `SearchExhausted` when none is left.
    mutating func suggest(count: Int, history: [TrialObservation]) throws -> [Configuration]
}

/// Early termination: told a running trial's intermediate metrics (and every other trial's),
/// decides whether to stop it now.
public protocol EarlyTerminationPolicy {
    /// True when trial `id` should stop after reporting `epoch`.
    func shouldStop(trial id: Int, epoch: Int, history: [TrialObservation], goal: MetricGoal) -> Bool
}
