// Search strategy tests: grid order and exhaustion, seeded random search that is reproducible
// and resumable, draws that respect each distribution, and no repeats in a discrete space.
import Foundation
import Testing
@testable import Coordinator
import Model

private func history(_ configurations: [Configuration]) -> [TrialObservation] {
    configurations.enumerated().map { TrialObservation(id: $0.offset, configuration: $0.element, status: .finished, metric: 0) }
}

private let smallSpace = SearchSpace(parameters: [
    SweepParameter(name: "a", distribution: .categorical([.string("x"), .string("y")])),
    SweepParameter(name: "b", distribution: .intUniform(min: 1, max: 3)),
    SweepParameter(name: "c", distribution: .constant(.list([.int(4), .int(2)]))),
])

@Test("grid: first parameter slowest, values in listed order, int ranges ascending")
func gridOrder() throws {
    var grid = GridSearch(space: smallSpace)
    #expect(grid.size == 6)
    let all = try grid.suggest(count: 10, history: [])
    let pairs = all.map { "\($0["a"]!)\($0["b"]!)" }
    #expect(pairs == ["x1", "x2", "x3", "y1", "y2", "y3"])
    #expect(all.allSatisfy { $0["c"] == .list([.int(4), .int(2)]) })
}

@Test("grid: skips configurations in history, resumes in order, then is exhausted")
func gridExhaustion() throws {
    var grid = GridSearch(space: smallSpace)
    let first = try grid.suggest(count: 2, history: [])
    // A history value written as a whole double still counts as the same configuration.
    var tried = first
    tried.append(["a": .string("y"), "b": .double(1), "c": .list([.int(4), .int(2)])])
    let next = try grid.suggest(count: 10, history: history(tried))
    #expect(next.map { "\($0["a"]!)\($0["b"]!)" } == ["x3", "y2", "y3"])
    #expect(throws: SearchExhausted.self) { try grid.suggest(count: 1, history: history(tried + next)) }
}

@Test("random: the k-th suggestion depends only on seed and k")
func randomReproducible() throws {
    let space = SearchSpace(parameters: [
        SweepParameter(name: "lr", distribution: .logUniformValues(min: 1e-5, max: 1)),
        SweepParameter(name: "width", distribution: .intUniform(min: 8, max: 512)),
    ])
    var one = RandomSearch(space: space, seed: 3)
    let batch = try one.suggest(count: 6, history: [])
    var again = RandomSearch(space: space, seed: 3)
    #expect(try again.suggest(count: 6, history: []) == batch)
    // Resuming after four trials gives suggestions 4 and 5 of the same sequence.
    var resumed = RandomSearch(space: space, seed: 3)
    #expect(try resumed.suggest(count: 2, history: history(Array(batch.prefix(4)))) == Array(batch.suffix(2)))
    var other = RandomSearch(space: space, seed: 4)
    #expect(try other.suggest(count: 6, history: []) != batch)
}

/// A distribution and a check every draw (and the whole sample) must pass.
struct DrawCase: CustomTestStringConvertible, Sendable {
    let label: String
    let distribution: ParameterDistribution
    let check: @Sendable ([ParameterValue]) -> Bool
    var testDescription: String { label }
}

private func numbers(_ values: [ParameterValue]) -> [Double] { values.compactMap(\.number) }

private let drawCases: [DrawCase] = [
    DrawCase(label: "uniform within bounds, both halves hit", distribution: .uniform(min: -1, max: 3)) { v in
        let x = numbers(v)
        return x.count == v.count && x.allSatisfy { (-1...3).contains($0) } && x.contains { $0 < 1 } && x.contains { $0 > 1 }
    },
    DrawCase(label: "log-uniform within bounds, spread across decades", distribution: .logUniformValues(min: 1e-5, max: 1e-1)) { v in
        let x = numbers(v)
        let decades = Set(x.map { Int(floor(log10($0))) })
        return x.allSatisfy { (1e-5...1e-1).contains($0) } && decades.isSuperset(of: [-5, -4, -3, -2])
    },
    DrawCase(label: "int_uniform inclusive, both ends hit", distribution: .intUniform(min: 2, max: 5)) { v in
        Set(v) == Set([2, 3, 4, 5].map(ParameterValue.int))
    },
    DrawCase(label: "q_uniform rounds to multiples of q inside the range", distribution: .qUniform(min: 0.05, max: 1, q: 0.1)) { v in
        let x = numbers(v)
        return x.allSatisfy { abs($0 / 0.1 - ($0 / 0.1).rounded()) < 1e-9 && (0.05...1).contains($0) }
            && x.contains(0.1) && x.contains(1.0) && x.contains(0.3)
    },
    DrawCase(label: "whole q gives integers", distribution: .qLogUniformValues(min: 8, max: 512, q: 8)) { v in
        v.allSatisfy { if case .int(let i) = $0 { return i % 8 == 0 && (8...512).contains(i) } else { return false } }
    },
    DrawCase(label: "normal has the right mean and spread", distribution: .normal(mu: 10, sigma: 2)) { v in
        let x = numbers(v)
        let mean = x.reduce(0, +) / Double(x.count)
        let sd = (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count)).squareRoot()
        return abs(mean - 10) < 0.2 && abs(sd - 2) < 0.2
    },
    DrawCase(label: "log-normal is positive with median exp(mu)", distribution: .logNormal(mu: 0, sigma: 1)) { v in
        let x = numbers(v).sorted()
        return x.allSatisfy { $0 > 0 } && abs(x[x.count / 2] - 1) < 0.15
    },
    DrawCase(label: "categorical hits every value", distribution: .categorical([.bool(true), .bool(false), .string("z")])) { v in
        Set(v) == [.bool(true), .bool(false), .string("z")]
    },
]

@Test("random draws follow their distribution", arguments: drawCases)
func drawsFollowDistribution(_ c: DrawCase) {
    let search = RandomSearch(space: SearchSpace(parameters: [SweepParameter(name: "p", distribution: c.distribution)]), seed: 11)
    let values = (0..<1000).map { search.draw(k: $0)["p"]! }
    #expect(c.check(values), "\(c.label): \(values.prefix(12))")
}

@Test("random: no repeats in a discrete space until it is used up, then SearchExhausted")
func randomExhaustsDiscreteSpace() throws {
    var search = RandomSearch(space: smallSpace, seed: 5)
    var tried: [Configuration] = []
    while tried.count < 6 {
        let batch = try search.suggest(count: 4, history: history(tried))
        #expect(!batch.isEmpty)
        tried += batch
    }
    #expect(tried.count == 6)
    #expect(Set(tried).count == 6)
    #expect(throws: SearchExhausted.self) { try search.suggest(count: 1, history: history(tried)) }
    // A batch larger than what is left returns only what is left.
    var fresh = RandomSearch(space: smallSpace, seed: 5)
    #expect(try fresh.suggest(count: 10, history: history(Array(tried.prefix(2)))).count == 4)
}

@Test("random search over a space whose draws keep repeating ends as used up, not in an endless redraw")
func randomSearchOverAPointEnds() throws {
    // A range of one value (as a config may give, {min: 0.5, max: 0.5}) has one configuration.
    let space = SearchSpace(parameters: [SweepParameter(name: "x", distribution: .uniform(min: 0.5, max: 0.5))])
    var search = RandomSearch(space: space, seed: 3)
    let first = try search.suggest(count: 1, history: [])
    #expect(first.count == 1)
    let tried = [TrialObservation(id: 0, configuration: first[0], status: .finished, metric: 1)]
    #expect(throws: SearchExhausted.self) { try search.suggest(count: 1, history: tried) }
}
