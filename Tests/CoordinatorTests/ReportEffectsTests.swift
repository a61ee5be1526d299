// Report effects tests: on a synthetic sweep where the metric follows the learning rate, lr gets a
// strong correlation and top importance, a noise parameter gets about none; rank statistics checked.
import Foundation
import Testing
@testable import Coordinator

@Test("metric = f(lr): lr correlates strongly and ranks first, a noise parameter is near zero")
func effectsFindTheDrivingParameter() throws {
    let fixture = try ReportFixture(sweep: """
        sweep:
          method: random
          run_cap: 40
          metric: {name: val_loss, goal: minimize}
          parameters:
            optimizer.lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
            model.dropout: {min: 0.0, max: 0.5}
            model.activation: {values: [relu, tanh]}

        """)
    defer { fixture.remove() }
    var rng = ReportTestRNG(seed: 42)
    for i in 0..<40 {
        let lr = pow(10, -4 + 3 * rng.next())
        let dropout = 0.5 * rng.next()
        let metric = 0.2 + 0.1 * (log10(lr) + 4)  // grows with lr, whatever dropout is
        try fixture.add(["optimizer.lr": .double(lr), "model.dropout": .double(dropout),
                         "model.activation": .string(i % 2 == 0 ? "relu" : "tanh")],
                        status: .finished, curve: [metric + 0.1, metric])
    }
    let effects = ParameterEffects.compute(try fixture.results())
    #expect(effects.map(\.name).first == "optimizer.lr")
    let lr = try #require(effects.first { $0.name == "optimizer.lr" })
    let noise = try #require(effects.first { $0.name == "model.dropout" })
    let activation = try #require(effects.first { $0.name == "model.activation" })
    #expect(lr.kind == .numeric && lr.logScale)
    #expect(try #require(lr.spearman) > 0.99)
    #expect(try #require(lr.pearson) > 0.99, "linear in log10(lr)")
    #expect(abs(try #require(noise.spearman)) < 0.3)
    #expect(!noise.logScale && noise.importance < 0.3)
    #expect(activation.kind == .categorical && activation.groups.count == 2 && activation.groups.map(\.count) == [20, 20])
    #expect(activation.importance < 0.3)
    #expect(lr.trials == 40)
}

@Test("categorical means are per value, best first, with eta as importance")
func categoricalEffect() {
    let values: [ParameterValue?] = [.string("relu"), .string("relu"), .string("tanh"), .string("tanh"), nil]
    let effect = ParameterEffects.effect(name: "model.activation", distribution: nil, values: values,
                                         metric: [1, 1.2, 3, 3.2, 9], goal: .minimize)
    #expect(effect.kind == .categorical && effect.trials == 4)
    #expect(effect.groups.map(\.value) == ["relu", "tanh"])
    #expect(abs(effect.groups[0].mean - 1.1) < 1e-12)
    #expect(effect.importance > 0.99)
    let constant = ParameterEffects.effect(name: "c", distribution: nil, values: [.int(1), .int(1), .int(1)], metric: [1, 2, 3],
                                           goal: .minimize)
    #expect(constant.kind == .constant && constant.importance == 0)
}

@Test("Spearman uses average ranks for ties and is blind to monotone transforms")
func rankStatistics() throws {
    #expect(ParameterEffects.ranks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
    let x = [0.001, 0.01, 0.1, 1, 10]
    #expect(try #require(ParameterEffects.spearman(x, x.map { -log10($0) })) == -1)
    #expect(ParameterEffects.pearson([1, 2], [3, 4]) == nil)
    #expect(ParameterEffects.pearson([1, 1, 1], [3, 4, 5]) == nil)
    #expect(ParameterEffects.isLogScale(distribution: .categorical([.double(0.001), .double(0.1)]), values: [.double(0.001), .double(0.1)]))
    #expect(!ParameterEffects.isLogScale(distribution: nil, values: [.int(16), .int(64)]))
}

/// A tiny deterministic generator for synthetic sweeps.
struct ReportTestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    /// Uniform in [0, 1).
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}

@Test("weight decay's 0, 1e-5, 1e-4, 1e-3: a log axis with 0 a decade below 1e-5, ticks at 0 and each decade; Pearson on those positions")
func logAxisWithZero() throws {
    let values: [ParameterValue] = [.double(0), .double(1e-5), .double(1e-4), .double(1e-3)]
    #expect(ParameterEffects.isLogScale(distribution: .categorical(values), values: values))
    #expect(!ParameterEffects.isLogScale(distribution: nil, values: [.double(-1), .double(1e-5), .double(1e-3)]), "negative values")
    #expect(!ParameterEffects.isLogScale(distribution: nil, values: [.double(0), .double(1e-4), .double(1e-3)]), "one decade")
    #expect(ParameterEffects.logPositions([0, 1e-5, 1e-4, 1e-3]) == [-6, -5, -4, -3])
    let scale = PlotScale(values: [0, 1e-5, 1e-4, 1e-3], log: true, from: 0, to: 100)
    #expect(scale.log && scale.ticks().map(\.label) == ["0", "1e-05", "0.0001", "0.001"])
    let positions = [0, 1e-5, 1e-4, 1e-3].map { scale($0) }
    let gaps = zip(positions, positions.dropFirst()).map { $1 - $0 }
    #expect(gaps.allSatisfy { abs($0 - gaps[0]) < 1e-9 } && gaps[0] > 0, "evenly spaced: \(positions)")
    // A metric linear in the decade: Pearson sees it through the same positions, 0 included.
    let effect = ParameterEffects.effect(name: "wd", distribution: .categorical(values), values: values, metric: [1, 2, 3, 4], goal: .maximize)
    #expect(effect.logScale && abs((effect.pearson ?? 0) - 1) < 1e-12, "\(effect)")
}
