// PopulationBasedTraining: the decision at the end of a generation — members ranked by the metric
// they reported there; each of the bottom quantile exploits (copies the checkpoint and the
// hyperparameters of) a top member and explores (perturbs or redraws them). A pure function of
// the reports, the seed and the generation, so the same sweep decides the same lineage.
import Foundation
import Model

/// One member as a decision sees it.
public struct PopulationMember: Sendable, Equatable {
    /// The member's trial id.
    public var id: Int
    /// The hyperparameters it trained the ending generation with.
    public var configuration: Configuration
    /// The sweep metric it reported at the generation's end (nil or non-finite: the worst).
    public var value: Double?
    public init(id: Int, configuration: Configuration, value: Double?) {
        (self.id, self.configuration, self.value) = (id, configuration, value)
    }
}

/// What one member does in the next generation.
public struct PopulationDecision: Sendable, Equatable {
    /// The member's trial id.
    public var id: Int
    /// The member whose checkpoint it continues from; nil: its own.
    public var source: Int?
    /// The hyperparameters of its next generation.
    public var configuration: Configuration
    public init(id: Int, source: Int?, configuration: Configuration) {
        (self.id, self.source, self.configuration) = (id, source, configuration)
    }
}

/// Population-based training's exploit-and-explore step.
public enum PopulationBasedTraining {
    /// The decisions for the generation after `generation` (0-based), one per member, in id
    /// order. Members rank by `value` (goal-adjusted; nil or non-finite last, ties by id); each of
    /// the `spec.replaced(among:)` bottom members copies a top one drawn at random and explores
    /// its hyperparameters; the others keep theirs. Draws come from `CounterRNG(seed, .population,
    /// generation, member id)`, so a decision depends only on the reports, the seed and the generation.
    public static func decide(_ members: [PopulationMember], generation: Int, goal: MetricGoal, spec: PopulationSpec,
                              space: SearchSpace, seed: UInt64) -> [PopulationDecision] {
        func key(_ v: Double?) -> Double {
            guard let v, v.isFinite else { return .infinity }
            return goal == .minimize ? v : -v
        }
        let ranked = members.sorted { (key($0.value), $0.id) < (key($1.value), $1.id) }
        let replaced = spec.replaced(among: members.count)
        let top = Array(ranked.prefix(replaced))
        let bottom = Set(ranked.suffix(replaced).map(\.id))
        return members.sorted { $0.id < $1.id }.map { member in
            guard bottom.contains(member.id) else { return PopulationDecision(id: member.id, source: nil, configuration: member.configuration) }
            var rng = CounterRNG(seed: seed, stream: .population, UInt64(generation), UInt64(member.id))
            let source = top[ParameterDistribution.index(below: top.count, using: &rng)]
            return PopulationDecision(id: member.id, source: source.id,
                                      configuration: explore(source.configuration, space: space, spec: spec, using: &rng))
        }
    }

    /// `configuration` explored: each parameter is drawn afresh with `resampleProbability`,
    /// otherwise perturbed (see `perturbed`).
    static func explore(_ configuration: Configuration, space: SearchSpace, spec: PopulationSpec,
                        using rng: inout CounterRNG) -> Configuration {
        var result = configuration
        for parameter in space.parameters {
            guard let value = configuration[parameter.name] else { continue }
            if rng.nextDouble() < spec.resampleProbability {
                result[parameter.name] = parameter.distribution.draw(using: &rng)
            } else {
                result[parameter.name] = perturbed(value, parameter.distribution, factors: spec.perturb, using: &rng)
            }
        }
        return space.normalized(result)
    }

    /// A number times one of the two `factors` (at random), kept inside the distribution's range
    /// and on its grid (an integer range rounds, a q-distribution goes to a multiple of q); a
    /// listed value moves to a neighbour in its list (up or down at random, staying at an end); a
    /// constant stays.
    static func perturbed(_ value: ParameterValue, _ distribution: ParameterDistribution, factors: [Double],
                          using rng: inout CounterRNG) -> ParameterValue {
        let up = rng.nextDouble() < 0.5
        let factor = up ? factors[1] : factors[0]
        switch distribution {
        case .constant(let v):
            return v
        case .categorical(let values):
            guard let index = values.firstIndex(of: value) else { return value }
            return values[min(values.count - 1, max(0, index + (up ? 1 : -1)))]
        case .intUniform(let lo, let hi):
            guard let x = value.number else { return value }
            return .int(min(hi, max(lo, Int((x * factor).rounded()))))
        case .uniform(let lo, let hi), .logUniformValues(let lo, let hi):
            guard let x = value.number else { return value }
            return .double(min(hi, max(lo, x * factor)))
        case .qUniform(let lo, let hi, let q), .qLogUniformValues(let lo, let hi, let q):
            guard let x = value.number else { return value }
            return ParameterDistribution.quantized(x * factor, min: lo, max: hi, q: q)
        case .normal, .logNormal:
            guard let x = value.number else { return value }
            return .double(x * factor)
        }
    }
}
