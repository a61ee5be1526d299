// Bayesian search tests: no duplicates until a discrete space is exhausted, a pending-aware batch
// that spreads out, the metric goal honoured, failures imputed, determinism for a seed.
import Foundation
import Testing
@testable import Coordinator
import Model

private let discreteSpace = SearchSpace(parameters: [
    SweepParameter(name: "a", distribution: .categorical([.string("x"), .string("y"), .string("z")])),
    SweepParameter(name: "b", distribution: .intUniform(min: 1, max: 4)),
    SweepParameter(name: "c", distribution: .qUniform(min: 0, max: 1, q: 0.5)),
])

private func discreteObjective(_ c: Configuration) -> Double {
    let a: Double = c["a"] == .string("y") ? 0 : 1
    return a + abs((c["b"]?.number ?? 0) - 3) + (c["c"]?.number ?? 0)
}

private let square = SearchSpace(parameters: [
    SweepParameter(name: "x", distribution: .uniform(min: 0, max: 1)),
    SweepParameter(name: "y", distribution: .uniform(min: 0, max: 1)),
])

private func finished(_ points: [[Double]], _ f: ([Double]) -> Double) -> [TrialObservation] {
    points.enumerated().map { i, p in
        TrialObservation(id: i, configuration: ["x": .double(p[0]), "y": .double(p[1])], status: .finished, metric: f(p))
    }
}

private func bowl(_ p: [Double]) -> Double { (p[0] - 0.3) * (p[0] - 0.3) + (p[1] - 0.7) * (p[1] - 0.7) }

@Test("no duplicates over 200 suggestions on a 36-point space, then a clear exhausted error")
func noDuplicatesUntilExhausted() throws {
    var search = BayesianSearch(space: discreteSpace, goal: .minimize, seed: 11)
    var history: [TrialObservation] = []
    var exhausted: SearchExhausted?
    for _ in 0..<200 {
        do {
            for c in try search.suggest(count: 1, history: history) {
                history.append(TrialObservation(id: history.count, configuration: c, status: .finished, metric: discreteObjective(c)))
            }
        } catch let error as SearchExhausted {
            exhausted = error
            break
        }
    }
    #expect(history.count == 36)
    #expect(Set(history.map(\.configuration)).count == 36)
    let error = try #require(exhausted)
    #expect(error.tried == 36)
    #expect(error.description.contains("exhausted"))
}

@Test("a batch larger than what is left returns only the untried configurations")
func batchNearExhaustion() throws {
    let all = try #require(UnitCubeMapping(space: discreteSpace).allConfigurations())
    let history = all.dropLast(2).enumerated().map { i, c in
        TrialObservation(id: i, configuration: c, status: i % 5 == 0 ? .running : .finished, metric: discreteObjective(c))
    }
    var search = BayesianSearch(space: discreteSpace, goal: .minimize, seed: 2)
    let batch = try search.suggest(count: 4, history: history)
    #expect(Set(batch) == Set(all.suffix(2)))
}

@Test("a batch of 4 with 4 trials pending is pairwise distinct and spread out", arguments: [1, 2, 3] as [UInt64])
func pendingAwareBatch(seed: UInt64) throws {
    var rng = CounterRNG(seed: seed, stream: .test)
    var history = finished((0..<12).map { _ in [rng.nextDouble(), rng.nextDouble()] }, bowl)
    for k in 0..<4 {
        let p = [0.25 + 0.1 * Double(k), 0.65]
        history.append(TrialObservation(id: history.count, configuration: ["x": .double(p[0]), "y": .double(p[1])], status: .running))
    }
    var search = BayesianSearch(space: square, goal: .minimize, seed: seed)
    let batch = try search.suggest(count: 4, history: history)
    #expect(batch.count == 4 && Set(batch).count == 4)
    let mapping = UnitCubeMapping(space: square)
    let points = batch.map(mapping.encode)
    #expect(LatinHypercube.minimumDistance(points) > 0.02, "batch \(points) \(batch)")
    let pending = history.suffix(4).map { mapping.encode($0.configuration) }
    for p in points { #expect(pending.allSatisfy { LatinHypercube.minimumDistance([p, $0]) > 0.02 }) }
}

@Test("the metric goal is honoured", arguments: MetricGoal.allCases)
func goalHonoured(goal: MetricGoal) throws {
    var search = BayesianSearch(space: square, goal: goal, seed: 4)
    var history: [TrialObservation] = []
    let sign = goal == .minimize ? 1.0 : -1.0
    for _ in 0..<16 {
        for c in try search.suggest(count: 1, history: history) {
            let p = [c["x"]!.number!, c["y"]!.number!]
            history.append(TrialObservation(id: history.count, configuration: c, status: .finished, metric: sign * bowl(p)))
        }
    }
    let best = history.map { sign * $0.metric! }.min()!
    #expect(best < 0.01)
}

@Test("failed and NaN trials are imputed as the worst value; stopped ones count at their last epoch")
func historyReading() {
    let search = BayesianSearch(space: square, goal: .maximize, seed: 1)
    func c(_ x: Double) -> Configuration { ["x": .double(x), "y": .double(0.5)] }
    let history = [
        TrialObservation(id: 0, configuration: c(0.1), status: .finished, metric: 0.9),
        TrialObservation(id: 1, configuration: c(0.2), status: .failed),
        TrialObservation(id: 2, configuration: c(0.3), status: .finished, metric: .nan),
        TrialObservation(id: 3, configuration: c(0.4), status: .stopped, metric: 0.5, intermediate: [1: 0.2, 3: 0.4]),
        TrialObservation(id: 4, configuration: c(0.5), status: .running, intermediate: [1: 0.8]),
    ]
    let o = search.observations(history)
    // Maximising: the GP models −metric, so the worst is the largest modelled value, −0.4.
    #expect(o.values == [-0.9, -0.4, -0.4, -0.4])
    #expect(o.pending.count == 1)
}

@Test("suggestions are a pure function of the seed and the history")
func deterministic() throws {
    let history = finished([[0.1, 0.2], [0.8, 0.4], [0.5, 0.9], [0.3, 0.3], [0.6, 0.6], [0.9, 0.1]], bowl)
    var a = BayesianSearch(space: square, goal: .minimize, seed: 9)
    var b = BayesianSearch(space: square, goal: .minimize, seed: 9)
    #expect(try a.suggest(count: 3, history: history) == b.suggest(count: 3, history: history))
}

@Test("a trial pending at the minimum does not push the next pick out of the best region", arguments: [1, 2, 3] as [UInt64])
func pendingAtMinimum(seed: UInt64) throws {
    var rng = CounterRNG(seed: seed, stream: .test)
    var history = finished((0..<12).map { _ in [rng.nextDouble(), rng.nextDouble()] }, bowl)
    history.append(TrialObservation(id: history.count, configuration: ["x": .double(0.3), "y": .double(0.7)], status: .running))
    var search = BayesianSearch(space: square, goal: .minimize, seed: seed)
    let pick = try #require(try search.suggest(count: 1, history: history).first)
    let bestSeen = history.compactMap(\.metric).min()!
    #expect(bowl([pick["x"]!.number!, pick["y"]!.number!]) < bestSeen, "pick \(pick), best seen \(bestSeen)")
}

@Test("local acquisition candidates near a bound stay inside the cube without piling up on the bound")
func localCandidatesReflect() {
    var rng = CounterRNG(seed: 5, stream: .test)
    let center = [0.0, 1.0, 0.5]
    var onBound = 0
    for _ in 0..<2000 {
        let x = AcquisitionOptimizer.localCandidate(near: center, rng: &rng)
        #expect(x.allSatisfy { $0 >= 0 && $0 <= 1 })
        if x[0] == 0 || x[1] == 1 { onBound += 1 }
        #expect(abs(x[2] - 0.5) < 0.4)
    }
    // Clipping put about half of them exactly on the bound in each of the first two coordinates.
    #expect(onBound == 0)
}
