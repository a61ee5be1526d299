// RestartSpec: `cluster.restarts` — how often a run launched through mpirun restarts itself after
// a rank or host is lost: at most `max` restarts within `window`, exponential backoff, a rank floor.

/// When and how far a run restarts itself (see `RestartPlan`).
public struct RestartSpec: Sendable, Equatable {
    /// Restarts allowed within `window`; 0 turns restarts off (default 0).
    public var max = 0
    /// The fewest ranks a restarted run may have (default 1).
    public var minRanks = 1
    /// Seconds before the first restart; each further restart within `window` waits twice as
    /// long as the one before, at most `backoffLimit` (default 10 s).
    public var backoff: Double = 10
    /// Seconds over which `max` counts restarts (default 30 minutes).
    public var window: Double = 1800
    /// The longest wait between restarts: `max(backoff, 300)` seconds.
    public var backoffLimit: Double { Swift.max(backoff, 300) }

    public init() {}

    /// Whether a failed run may restart at all.
    public var enabled: Bool { max > 0 }

    static let keys = ["max", "min_ranks", "backoff", "window"]

    /// Parses `cluster.restarts`: a mapping of `keys`, or a bare count (`restarts: 3`).
    static func parse(_ value: ConfigValue) throws -> RestartSpec {
        var spec = RestartSpec()
        if case .scalar = value.node {
            spec.max = try value.int(in: 0...1000, hint: "restarts within the window, 0 (off) to 1000, or a mapping {max, min_ranks, backoff, window}")
            return spec
        }
        let t = try value.table(allowed: keys)
        if let v = t["max"] { spec.max = try v.int(in: 0...1000, hint: "restarts within the window, 0 (off) to 1000") }
        if let v = t["min_ranks"] { spec.minRanks = try v.int(in: 1...1_000_000, hint: "the fewest ranks a restart may use") }
        if let v = t["backoff"] { spec.backoff = try v.duration(in: 0...86_400) }
        if let v = t["window"] { spec.window = try v.duration(in: 1...(30 * 86_400)) }
        return spec
    }

    /// The resolved form: every field explicit.
    var tree: YAMLTree {
        .map([("max", .number(max)), ("min_ranks", .number(minRanks)), ("backoff", .number(backoff)), ("window", .number(window))])
    }
}
