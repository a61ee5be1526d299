// PopulationSpec: population-based training's keys of the `sweep:` section (`method: pbt`) —
// population, interval, quantile, resample_probability, perturb, and a program's budget — checked,
// and the generations a member's budget splits into.

/// How population-based training runs (`sweep.method: pbt`).
public struct PopulationSpec: Sendable, Equatable {
    /// Members trained side by side; each is one trial. Required, 2 or more.
    public var population: Int
    /// Epochs (evaluations, for a job budgeted in steps) between decisions. Required, 1 or more.
    public var interval: Int
    /// The bottom fraction of members that copy a top member at each decision (the same number
    /// of top members are the ones copied). Default 0.25; at most 0.5.
    public var quantile = 0.25
    /// The chance that a copied parameter is drawn afresh from its distribution instead of
    /// perturbed. Default 0.25.
    public var resampleProbability = 0.25
    /// The factors a copied number is multiplied by (one of the two, at random); a listed value
    /// moves to its neighbour instead. Default 0.8 and 1.2.
    public var perturb: [Double] = [0.8, 1.2]
    /// The epochs each member trains in all, for program trials (required there); a training
    /// job's budget is its own (`job.epochs`, or its evaluations with `job.steps`). Default nil.
    public var budget: Int? = nil

    public init(population: Int, interval: Int) {
        self.population = population
        self.interval = interval
    }

    /// The keys of `sweep:` that belong to PBT.
    static let keys = ["population", "interval", "quantile", "resample_probability", "perturb", "budget"]

    /// Why a member cannot change job setting `name`, drawn from `distribution`, while it trains on
    /// from a checkpoint (the model's shape, the data, the batch, the optimizer's kind of state,
    /// and what fixes where generations end), or nil.
    static func refusal(of name: String, _ distribution: ParameterDistribution) -> String? {
        func under(_ key: String) -> Bool { name == key || name.hasPrefix(key + ".") || name.hasPrefix(key + "[") }
        if under("model") { return "it changes the model, whose shape a copied checkpoint fixes" }
        if name == "optimizer.name" { return "it changes the optimizer, whose state a copied checkpoint holds" }
        // SGD keeps a momentum buffer only when momentum is above 0: 0 and not 0 keep different state.
        if name == "optimizer.momentum", distribution.reachesZero {
            return "it can be 0 and above 0, and SGD keeps momentum state only above 0 (a copied checkpoint holds one kind)"
        }
        if under("dataset") { return "it changes the data a member trains on" }
        if name == "batch_size" { return "it changes the batch, so the steps of an epoch" }
        if ["epochs", "steps", "eval_every", "seed", "stop_after"].contains(name) || under("checkpoint") {
            return "it changes where a member's generations end or what it saves"
        }
        return nil
    }

    /// The keys read from the sweep table `t` (whose `method` is pbt).
    static func parse(_ t: ConfigTable) throws -> PopulationSpec {
        let population = try t.required("population", hint: "e.g. population: 8 (members trained side by side)")
            .int(in: 2...4096, hint: "the members trained side by side, 2 or more")
        let interval = try t.required("interval", hint: "e.g. interval: 2 (epochs between decisions)")
            .int(in: 1...1_000_000, hint: "the epochs (evaluations, with job.steps) between decisions")
        var spec = PopulationSpec(population: population, interval: interval)
        if let v = t["quantile"] {
            spec.quantile = try v.double(in: 0.000001...0.5, hint: "the bottom fraction replaced at each decision, above 0 and at most 0.5")
        }
        if let v = t["resample_probability"] {
            spec.resampleProbability = try v.double(in: 0...1, hint: "a probability from 0 to 1")
        }
        if let v = t["perturb"] {
            let factors = try v.list().map { try $0.double(in: 0.000001...1_000_000, hint: "a factor above 0") }
            guard factors.count == 2 else {
                throw v.error("expected two factors, got \(factors.count)", hint: "e.g. perturb: [0.8, 1.2]")
            }
            spec.perturb = factors
        }
        if let v = t["budget"] { spec.budget = try v.int(in: 1...1_000_000, hint: "the epochs each member trains in all") }
        return spec
    }

    /// The generations of a member whose job reports `reports` times (epochs or evaluations).
    public func generations(reports: Int) -> Int { max(1, (reports + interval - 1) / interval) }

    /// The epoch (or evaluation) generation `generation` ends at, nil for the last (it trains to
    /// the end of the budget).
    public func stopAfter(generation: Int, reports: Int) -> Int? {
        generation + 1 < generations(reports: reports) ? (generation + 1) * interval : nil
    }

    /// How many of `members` copy others at a decision (as many are copied): the quantile's share,
    /// rounded up, at most half; none below 2 members.
    public func replaced(among members: Int) -> Int {
        guard members >= 2 else { return 0 }
        return min(members / 2, max(1, Int((Double(members) * quantile).rounded(.up))))
    }
}

extension ParameterDistribution {
    /// True when the distribution can give 0 (or less) and also a value above 0.
    var reachesZero: Bool {
        switch self {
        case .constant: return false
        case .categorical(let values):
            let numbers = values.compactMap(\.number)
            return numbers.contains { $0 <= 0 } && numbers.contains { $0 > 0 }
        case .uniform(let lo, let hi), .qUniform(let lo, let hi, _), .qLogUniformValues(let lo, let hi, _):
            return lo <= 0 && hi > 0
        case .intUniform(let lo, let hi): return lo <= 0 && hi > 0
        case .logUniformValues, .logNormal: return false
        case .normal: return true
        }
    }
}
