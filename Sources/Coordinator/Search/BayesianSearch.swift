// BayesianSearch: `method: bayes` — a Latin hypercube start, then a Gaussian process on
// power-transformed values with log expected improvement; pending trials and earlier picks of a
// batch enter as kriging-believer fantasies.
import Foundation
import Model

/// Bayesian optimisation over a `SearchSpace`.
///
/// The GP models the observed values through a `PowerTransform` fitted to them at each
/// suggestion (`warpsValues`): it keeps their order (better stays better, for either goal) and
/// compresses a long tail of poor values. It is fitted to measured values only; failed trials
/// are imputed after it.
///
/// How the history is read:
/// - finished trials with a finite metric are observations;
/// - stopped trials (early termination) count at the metric of their last reported epoch — the
///   rung where they were stopped — falling back to `metric`. Their partial value is what they
///   reached, not what they would have reached; the GP learns the region looked poor, as ASHA judged;
/// - failed trials, and finished or stopped ones without a finite metric, are imputed as the worst
///   value seen, so the model learns to avoid them;
/// - pending and running trials are fantasies: they take the posterior mean at their point (kriging
///   believer; `fantasyRule` offers a constant liar), as does every earlier configuration of the
///   same batch, so a batch spreads out. The EI incumbent is the best observed value only: a
///   fantasy is a guess, and letting it lower the incumbent would drive the picks beside pending
///   points away from the best region. A suggestion keeps at least 0.02 √d (unit cube) from
///   pending points and earlier picks when it can.
///
/// No configuration of the history (any status) or of the batch is suggested again, after
/// rounding. `suggest` is a pure function of the seed and the history.
public struct BayesianSearch: SearchStrategy {
    public let space: SearchSpace
    public let goal: MetricGoal
    public let seed: UInt64
    public let mapping: UnitCubeMapping
    /// Trials drawn from the Latin hypercube before the GP takes over
    /// (default `LatinHypercube.designSize(dimension:)`: max(5, 2d + 1), at most 20).
    public var initialDesignSize: Int
    /// Hyperparameter fitting restarts (default 3).
    public var restarts = 3
    /// Random acquisition candidates per suggestion (default 1000).
    public var candidates = 1000
    /// How pending trials and earlier picks of a batch are fantasised (default `.krigingBeliever`).
    public var fantasyRule = FantasyRule.krigingBeliever
    /// Whether the GP models power-transformed values (default true) or the values themselves.
    public var warpsValues = true
    private let finiteConfigurations: [Configuration]?

    /// What a pending trial is assumed to have returned while the next suggestions are chosen.
    public enum FantasyRule: Sendable {
        /// The GP's posterior mean at its point (the better of the two on `bench search`).
        case krigingBeliever
        /// The best value seen so far (CL-min).
        case constantLiar
    }

    /// A search over `space` toward `goal`, deterministic for `seed`.
    public init(space: SearchSpace, goal: MetricGoal, seed: UInt64) {
        self.space = space
        self.goal = goal
        self.seed = seed
        self.mapping = UnitCubeMapping(space: space)
        self.initialDesignSize = LatinHypercube.designSize(dimension: mapping.dimension)
        self.finiteConfigurations = mapping.allConfigurations()
    }

    /// The value the GP models for a metric: the metric itself to minimise, its negation to maximise.
    func modelled(_ metric: Double) -> Double { goal == .minimize ? metric : -metric }

    /// Observed (point, modelled value) pairs, and the points of pending and running trials.
    /// With `warped`, the values are mapped by a `PowerTransform` fitted to the measured ones
    /// before the worst of them is imputed.
    func observations(_ history: [TrialObservation], warped: Bool = false) -> (points: [[Double]], values: [Double], pending: [[Double]]) {
        var points: [[Double]] = [], values: [Double?] = [], pending: [[Double]] = []
        for trial in history {
            let x = mapping.encode(trial.configuration)
            switch trial.status {
            case .pending, .running, .interrupted:
                pending.append(x)
            case .finished:
                points.append(x); values.append(trial.metric.flatMap { $0.isFinite ? modelled($0) : nil })
            case .stopped, .paused:
                let last = trial.intermediate.max { $0.key < $1.key }?.value ?? trial.metric
                points.append(x); values.append(last.flatMap { $0.isFinite ? modelled($0) : nil })
            case .failed:
                points.append(x); values.append(nil)
            }
        }
        let measured = values.compactMap { $0 }
        guard !measured.isEmpty else { return ([], [], pending) }
        let transform = warped ? PowerTransform.fitted(to: measured) : nil
        let mapped = values.map { value in value.map { transform?($0) ?? $0 } }
        let worst = mapped.compactMap { $0 }.max()!
        return (points, mapped.map { $0 ?? worst }, pending)
    }

    public mutating func suggest(count: Int, history: [TrialObservation]) throws -> [Configuration] {
        guard count > 0 else { return [] }
        let history = history.map { trial in
            var normalized = trial
            normalized.configuration = space.normalized(trial.configuration)
            return normalized
        }
        var excluded = Set(history.compactMap { space.canonicalKey($0.configuration) })
        if let all = finiteConfigurations, all.allSatisfy({ excluded.contains(space.canonicalKey($0)!) }) {
            throw SearchExhausted(tried: all.count)
        }
        var rng = CounterRNG(seed: seed, stream: .search, UInt64(history.count))
        var designRNG = CounterRNG(seed: seed, stream: .search, 0x4C48_5344)   // same design for every call
        let design = LatinHypercube.design(count: initialDesignSize, dimension: mapping.dimension, rng: &designRNG)
        let (points, values, pending) = observations(history, warped: warpsValues)

        let best = values.min() ?? 0
        var gp: GaussianProcess?
        if points.count >= 2, history.count >= initialDesignSize, var fitted = GaussianProcess.fit(
            inputs: points, targets: values, restarts: restarts, rng: &rng) {
            if !pending.isEmpty, let believed = fitted.conditioned(on: pending, targets: pending.map { fantasy(fitted, $0, values) }) {
                fitted = believed
            }
            gp = fitted
        }
        var optimizer = AcquisitionOptimizer(mapping: mapping)
        optimizer.randomCandidates = candidates
        optimizer.finiteConfigurations = finiteConfigurations

        var batch: [Configuration] = []
        for b in 0..<count {
            let index = history.count + b
            var choice: (configuration: Configuration, point: [Double])?
            if let model = gp {
                optimizer.avoid = pending + batch.map(mapping.encode)
                choice = optimizer.maximize(gp: model, best: best, excluded: excluded, rng: &rng)
            } else {
                choice = spaceFilling(index < design.count ? design[index] : nil, excluded: excluded, rng: &rng)
            }
            guard let (configuration, point) = choice else { break }
            batch.append(configuration)
            excluded.insert(space.canonicalKey(configuration)!)
            if let model = gp {
                if let believed = model.conditioned(on: [point], targets: [fantasy(model, point, values)]) {
                    gp = believed
                }
            }
        }
        if batch.isEmpty { throw SearchExhausted(tried: finiteConfigurations?.count ?? excluded.count) }
        return batch
    }

    /// The value a pending point is assumed to take: the posterior mean (kriging believer) or the
    /// best value seen (constant liar).
    private func fantasy(_ gp: GaussianProcess, _ x: [Double], _ values: [Double]) -> Double {
        switch fantasyRule {
        case .krigingBeliever: return gp.posterior(x).mean
        case .constantLiar: return values.min() ?? gp.posterior(x).mean
        }
    }

    /// The design point when untried after rounding, else a random untried configuration.
    private func spaceFilling(_ designPoint: [Double]?, excluded: Set<[ParameterValue]>,
                              rng: inout CounterRNG) -> (configuration: Configuration, point: [Double])? {
        var tries = 0
        var x = designPoint ?? (0..<mapping.dimension).map { _ in rng.nextDouble() }
        while tries < 200 {
            let configuration = mapping.decode(x)
            if !excluded.contains(space.canonicalKey(configuration)!) { return (configuration, mapping.encode(configuration)) }
            x = (0..<mapping.dimension).map { _ in rng.nextDouble() }
            tries += 1
        }
        guard let all = finiteConfigurations else { return nil }
        let untried = all.filter { !excluded.contains(space.canonicalKey($0)!) }
        guard !untried.isEmpty else { return nil }
        let configuration = untried[Int(rng.next() % UInt64(untried.count))]
        return (configuration, mapping.encode(configuration))
    }
}
