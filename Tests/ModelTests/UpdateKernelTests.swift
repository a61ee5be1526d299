// Update kernels: Adam and AdamW through CSIMD's vector kernel, at every width this CPU runs, give
// the scalar loop's parameters and state bit for bit — over several steps, at sizes with and without
// a vector tail, over a shard's range, with weight decay on part of the parameters, and with
// gradients that are not finite.
import Testing
@testable import Model

/// Parameters, gradients and the optimizer state after `steps` steps of `make`'s optimizer over
/// `range`, every step's gradient drawn from one seed (a few of them not finite when `nonFinite`).
private func run(_ make: () -> any Optimizer, count: Int, range: Range<Int>, steps: Int, nonFinite: Bool)
    -> (parameters: [UInt32], state: [[UInt32]]) {
    let optimizer = make()
    var rng = CounterRNG(seed: 17, stream: .test)
    var parameters = (0..<count).map { _ in rng.nextUniform() * 4 - 2 }
    for step in 0..<steps {
        var gradients = (0..<count).map { _ in rng.nextUniform() * 2 - 1 }
        if nonFinite && step == 1 {
            gradients[count / 2] = .nan
            gradients[count - 1] = .infinity
        }
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeMutableBufferPointer { g in
                optimizer.step(parameters: p, gradients: g, learningRate: 0.05 / Float(step + 1), range: range)
            }
        }
    }
    let state = optimizer.withStateBuffers { $0.map { $0.map(bits) } }
    return (parameters.map(bits), state)
}

/// A float's bits, every NaN as one (which NaN an operation passes on depends on its operand order).
private func bits(_ x: Float) -> UInt32 { x.isNaN ? Float.nan.bitPattern : x.bitPattern }

private struct UpdateCase: CustomTestStringConvertible, Sendable {
    let label: String
    let make: @Sendable (_ count: Int, _ width: VectorWidth?) -> any Optimizer
    var testDescription: String { label }
}

private let updateCases: [UpdateCase] = [
    UpdateCase(label: "Adam") { count, width in
        let adam = AdamOptimizer(parameterCount: count)
        adam.vectorWidth = width
        return adam
    },
    UpdateCase(label: "Adam, L2 0.01") { count, width in
        let adam = AdamOptimizer(parameterCount: count, weightDecay: 0.01)
        adam.vectorWidth = width
        return adam
    },
    UpdateCase(label: "AdamW 0.1, decay on part of the parameters") { count, width in
        let adam = AdamOptimizer(parameterCount: count, weightDecay: 0.1, decoupledWeightDecay: true,
                                 decayedRanges: [1..<count / 2, count / 2 + 1..<count - 1])
        adam.vectorWidth = width
        return adam
    },
]

@Test("vector optimizer updates equal the scalar loops bit for bit", .enabled(if: VectorWidth.available != nil, "this CPU has no AVX2+FMA"),
      arguments: updateCases, [7, 16, 1003])
private func vectorUpdatesEqualScalar(_ testCase: UpdateCase, count: Int) {
    for width in VectorWidth.runnable {
        for (range, nonFinite) in [(0..<count, false), (1..<count - 1, false), (0..<count, true)] {
            let vector = run({ testCase.make(count, width) }, count: count, range: range, steps: 4, nonFinite: nonFinite)
            let scalar = run({ testCase.make(count, nil) }, count: count, range: range, steps: 4, nonFinite: nonFinite)
            let where_ = "\(testCase.label), \(count) parameters, \(width), range \(range), nonFinite \(nonFinite)"
            #expect(vector.parameters == scalar.parameters, "\(where_): parameters differ")
            #expect(vector.state == scalar.state, "\(where_): state differs")
        }
    }
}
