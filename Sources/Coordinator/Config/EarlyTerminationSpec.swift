// EarlyTerminationSpec: the `sweep.early_terminate` section (W&B's hyperband keys: min_iter,
// max_iter, s, eta, strict, and `pause`: trials below a rung's cut are paused, not stopped), checked, with the epochs at which trials are compared (for a job
// budgeted in steps, its evaluations: the metrics lines written every eval_every steps).

/// When to compare running trials and stop the poor ones (W&B `early_terminate`).
public struct EarlyTerminationSpec: Sendable, Equatable {
    /// The early-termination algorithm.
    public enum Kind: String, Sendable, CaseIterable { case hyperband }

    /// Algorithm. Default (and only choice) `.hyperband`.
    public var kind: Kind = .hyperband
    /// First epoch at which trials are compared. Required unless `maxIter` and `s` are given.
    public var minIter: Int?
    /// Most epochs a trial runs; with `s`, the brackets are counted down from here. Default nil.
    public var maxIter: Int?
    /// Number of brackets. Default nil (as many as fit below `maxIter` or the job's epochs).
    public var s: Int?
    /// Reduction factor between brackets; each keeps the best 1/eta. Default 3.
    public var eta: Int = 3
    /// W&B's strict mode: compare against the best trials more aggressively. Default false.
    public var strict = false
    /// Pause a trial below a rung's cut with its checkpoint instead of stopping it; it is
    /// promoted and resumes where it paused once later trials put it among the best 1/eta at
    /// that rung. Training trials only. Default false.
    public var pause = false

    public init(minIter: Int? = nil, maxIter: Int? = nil, s: Int? = nil, eta: Int = 3, strict: Bool = false, pause: Bool = false) {
        self.minIter = minIter
        self.maxIter = maxIter
        self.s = s
        self.eta = eta
        self.strict = strict
        self.pause = pause
    }

    /// The epochs (ascending, at most `epochs`) at which trials are compared: min_iter·eta^i
    /// (i < s when s is given), or, from max_iter and s, max_iter/eta^s … max_iter/eta.
    public func milestones(epochs: Int) -> [Int] {
        var result: [Int] = []
        if let minIter {
            var rung = minIter
            while rung <= min(epochs, maxIter ?? Int.max) && (s == nil || result.count < s!) {
                result.append(rung)
                let (next, overflow) = rung.multipliedReportingOverflow(by: eta)
                if overflow { break }
                rung = next
            }
        } else if let maxIter, let s {
            var rung = maxIter
            for _ in 0..<s {
                rung /= eta
                if rung >= 1 && rung <= epochs { result.insert(rung, at: 0) }
            }
        }
        return Array(Set(result)).sorted()
    }

    static let keys = ["type", "min_iter", "max_iter", "s", "eta", "strict", "pause"]

    /// Parses `early_terminate: {type: hyperband, min_iter: 1, eta: 3}`.
    public static func parse(_ value: ConfigValue) throws -> EarlyTerminationSpec {
        let t = try value.table(allowed: keys)
        var spec = EarlyTerminationSpec()
        spec.kind = Kind(rawValue: try t.required("type", hint: "type: hyperband").choice(Kind.allCases.map(\.rawValue)))!
        if let v = t["min_iter"] { spec.minIter = try v.int(in: 1...1_000_000, hint: "the first epoch (or evaluation, with job.steps) to compare trials at") }
        if let v = t["max_iter"] { spec.maxIter = try v.int(in: 1...1_000_000, hint: "the most epochs (or evaluations, with job.steps) a trial runs") }
        if let v = t["s"] { spec.s = try v.int(in: 1...100, hint: "the number of brackets") }
        if let v = t["eta"] { spec.eta = try v.int(in: 2...1000, hint: "the reduction factor, 2 or more (default 3)") }
        if let v = t["strict"] { spec.strict = try v.bool() }
        if let v = t["pause"] { spec.pause = try v.bool() }
        if spec.minIter == nil && (spec.maxIter == nil || spec.s == nil) {
            throw value.error("hyperband needs min_iter, or max_iter together with s",
                              hint: "e.g. early_terminate: {type: hyperband, min_iter: 1, eta: 3}")
        }
        if let minIter = spec.minIter, let maxIter = spec.maxIter, maxIter < minIter {
            throw t["max_iter"]!.error("max_iter \(maxIter) is below min_iter \(minIter)", hint: "max_iter must be at least min_iter")
        }
        return spec
    }
}
