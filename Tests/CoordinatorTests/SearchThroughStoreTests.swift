// Search through the real store: every method's history goes into sweep.sqlite and back, as in a
// sweep. Random discrete spaces run to exhaustion and yield every configuration exactly once.
import Foundation
import Testing
@testable import Coordinator
import Model

/// A sweep's search loop without processes: suggest from the store's history, add the
/// suggestions to the store, end them with a seeded mix of outcomes.
private struct StoreDrivenSearch {
    let store: SweepStore
    let space: SearchSpace
    var strategy: any SearchStrategy
    var rng: CounterRNG

    init(space: SearchSpace, strategy: any SearchStrategy, seed: UInt64) throws {
        let folder = try TestFolder.make()
        store = try SweepStore.create(path: folder + "/sweep.sqlite")
        self.space = space
        self.strategy = strategy
        rng = CounterRNG(seed: seed, stream: .search, 99)
    }

    /// Runs to SearchExhausted (true) or `limit` suggestions (false); returns the stored trials.
    mutating func run(limit: Int, objective: (Configuration) -> Double) throws -> (exhausted: Bool, trials: [TrialRecord]) {
        var suggested = 0
        while suggested < limit {
            let batch = 1 + Int(rng.next() % 3)
            let history = try store.observations(space: space, metricName: "score")
            let configurations: [Configuration]
            do {
                configurations = try strategy.suggest(count: min(batch, limit - suggested), history: history)
            } catch is SearchExhausted {
                return (true, try store.trials())
            }
            suggested += configurations.count
            for id in try store.addTrials(configurations) {
                let configuration = space.normalized(try store.trials().first { $0.id == id }!.configuration)
                _ = try store.markRunning(id)
                switch rng.next() % 6 {
                case 0: try store.fail(id, error: "failed on purpose")
                case 1: try store.finish(id, status: .stopped, metric: objective(configuration) + 1)
                default: try store.finish(id, status: .finished, metric: objective(configuration))
                }
            }
        }
        return (false, try store.trials())
    }
}

private func objective(_ c: Configuration) -> Double {
    c.keys.sorted().reduce(0.0) { sum, key in
        switch c[key]! {
        case .int(let i): return sum + Double(i % 7) * 0.1
        case .double(let d): return sum + (d - 0.3) * (d - 0.3)
        case .string(let s): return sum + Double(s.count % 3)
        case .bool(let b): return sum + (b ? 0.5 : 0)
        case .list(let items): return sum + Double(items.count)
        }
    }
}

private func strategies(_ space: SearchSpace, seed: UInt64) -> [(String, any SearchStrategy)] {
    var bayes = BayesianSearch(space: space, goal: .minimize, seed: seed)
    bayes.candidates = 150
    bayes.restarts = 1
    let grid: [(String, any SearchStrategy)] = space.configurationCount == nil ? [] : [("grid", GridSearch(space: space))]
    return grid + [("random", RandomSearch(space: space, seed: seed)), ("bayes", bayes)]
}

@Test("bayes on a small discrete space of whole and fractional doubles: every configuration once, then exhausted")
func bayesSmallDiscreteSpaceThroughTheStore() throws {
    let space = SearchSpace(parameters: [
        SweepParameter(name: "x", distribution: .categorical([.double(0), .double(1), .double(2)])),
        SweepParameter(name: "y", distribution: .categorical([.double(0.5), .double(1.5)])),
    ])
    var search = try StoreDrivenSearch(space: space, strategy: BayesianSearch(space: space, goal: .minimize, seed: 1), seed: 1)
    let (exhausted, trials) = try search.run(limit: 20, objective: objective)
    #expect(exhausted)
    #expect(trials.count == 6)
    #expect(Set(trials.map { space.canonicalKey($0.configuration)! }).count == 6)
    // Read back, every value is the listed double again (not the integer JSON stored).
    let observed = try search.store.observations(space: space, metricName: "score")
    #expect(observed.allSatisfy { if case .double = $0.configuration["x"]! { return true } else { return false } })
}

/// A seeded random parameter: discrete kinds mostly, a continuous one now and then.
private func randomParameter(_ name: String, _ rng: inout CounterRNG, allowContinuous: Bool) -> SweepParameter {
    let kinds = allowContinuous ? 10 : 8
    let distribution: ParameterDistribution
    switch Int(rng.next() % UInt64(kinds)) {
    case 0: distribution = .intUniform(min: Int(rng.next() % 5) - 2, max: Int(rng.next() % 3) + 3)
    case 1: distribution = .categorical([.double(0), .double(1), .double(2)].prefix(1 + Int(rng.next() % 3)).map { $0 })
    case 2: distribution = .categorical([.double(0.1), .double(0.25), .double(1e-3)])
    case 3: distribution = .categorical([.string("relu"), .string("tanh"), .string("1.0"), .string("true")])
    case 4: distribution = .categorical([.bool(true), .bool(false)])
    case 5: distribution = .categorical([.list([.int(64)]), .list([.int(64), .int(32)]), .list([.double(1), .int(2)])])
    case 6: distribution = [.qUniform(min: 0.1, max: 0.3, q: 0.1), .qUniform(min: 0, max: 1.1, q: 0.1),
                            .qUniform(min: 1, max: 9, q: 2)][Int(rng.next() % 3)]
    case 7: distribution = .qLogUniformValues(min: 0.001, max: 0.01, q: 0.001)
    case 8: distribution = .uniform(min: 0, max: 1)
    default: distribution = .logUniformValues(min: 1e-4, max: 1e-1)
    }
    return SweepParameter(name: name, distribution: distribution)
}

@Test("random spaces: every method finds each configuration exactly once, then says the space is exhausted")
func randomSpacesRunToExhaustion() throws {
    var rng = CounterRNG(seed: 2026, stream: .search, 7)
    var discreteCases = 0, continuousCases = 0
    for caseIndex in 0..<36 {
        let count = 1 + Int(rng.next() % 3)
        let space = SearchSpace(parameters: (0..<count).map { randomParameter("p\($0)", &rng, allowContinuous: caseIndex % 4 == 3) })
        for (method, strategy) in strategies(space, seed: UInt64(caseIndex)) {
            if method == "bayes" && caseIndex % 3 != 0 { continue }   // the GP is slow; a third of the spaces
            var search = try StoreDrivenSearch(space: space, strategy: strategy, seed: UInt64(caseIndex))
            if let size = space.configurationCount, size <= 60 {
                let (exhausted, trials) = try search.run(limit: size + 5, objective: objective)
                #expect(exhausted, "\(method) on \(space): the space of \(size) ends in SearchExhausted")
                #expect(trials.count == size, "\(method) on \(space): \(trials.count) trials for \(size) configurations")
                let keys = trials.map { space.canonicalKey($0.configuration)! }
                #expect(Set(keys).count == trials.count, "\(method) on \(space): a configuration twice")
                let all = Set((0..<size).map { space.canonicalKey(space.gridConfiguration(at: $0))! })
                #expect(Set(keys) == all, "\(method) on \(space): the configurations found are the grid's")
                discreteCases += 1
            } else {
                let (_, trials) = try search.run(limit: 12, objective: objective)
                let keys = trials.map { space.canonicalKey($0.configuration)! }
                #expect(Set(keys).count == trials.count, "\(method) on \(space): a configuration twice")
                continuousCases += 1
            }
        }
    }
    #expect(discreteCases > 40)
    print("search through the store: \(discreteCases) discrete runs to exhaustion, \(continuousCases) larger or continuous runs")
}

@Test("q ranges: grid, random and bayes agree on the values, all inside [min, max]")
func quantisationIsOneRule() throws {
    for distribution in [ParameterDistribution.qUniform(min: 0.1, max: 0.3, q: 0.1), .qUniform(min: 0, max: 1.1, q: 0.1),
                         .qUniform(min: 0.05, max: 0.95, q: 0.15), .qLogUniformValues(min: 0.001, max: 0.01, q: 0.001)] {
        let space = SearchSpace(parameters: [SweepParameter(name: "v", distribution: distribution)])
        let size = try #require(space.configurationCount)
        let grid = Set((0..<size).map { space.gridConfiguration(at: $0)["v"]! })
        let (lo, hi): (Double, Double)
        switch distribution {
        case .qUniform(let a, let b, _), .qLogUniformValues(let a, let b, _): (lo, hi) = (a, b)
        default: continue
        }
        #expect(grid.allSatisfy { $0.number! >= lo && $0.number! <= hi }, "\(grid) inside [\(lo), \(hi)]")
        var rng = CounterRNG(seed: 3, stream: .search, 0)
        for _ in 0..<500 { #expect(grid.contains(distribution.draw(using: &rng))) }
        let mapping = UnitCubeMapping(space: space)
        for u in stride(from: 0.0, through: 1.0, by: 0.01) { #expect(grid.contains(mapping.decode([u])["v"]!)) }
        #expect(grid.contains(mapping.decode([1.0])["v"]!) && grid.contains(mapping.decode([0.0])["v"]!))
    }
}

@Test("a training trial resumed from a checkpoint forgets only the epochs past its step")
func epochsPastTheCheckpointAreForgotten() throws {
    let store = try SweepStore.create(path: try TestFolder.make() + "/sweep.sqlite")
    let id = try #require(try store.addTrials([[:]]).first)
    for epoch in 1...4 { try store.recordEpoch(id, epoch: epoch, metrics: ["epoch": Double(epoch), "step": Double(epoch * 10), "score": 1]) }
    try store.recordEpoch(id, epoch: 5, metrics: ["epoch": 5, "score": 1])   // no step: cannot be placed, goes
    try store.clearEpochs(id, afterStep: 20)
    #expect(try store.lastEpoch(id) == 2)
    try store.clearEpochs(id, afterStep: 0)
    #expect(try store.lastEpoch(id) == nil)
}
