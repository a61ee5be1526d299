// Weight-decay scope tests: `decay: matrices` decays tensors of rank ≥ 2 only (not biases or
// LayerNorm weights), and a sharded update over element ranges gives the whole update's result.
import Testing
@testable import Model

@Suite("Weight decay scope")
struct DecayScopeTests {
    /// fc.weight [2, 3] @ 0, fc.bias [2] @ 6, ln.weight [3] @ 8, wte.weight [4, 2] @ 11, wpe.weight [2, 2] @ 19.
    static let layout = [ParameterEntry(name: "fc.weight", shape: [2, 3], offset: 0), ParameterEntry(name: "fc.bias", shape: [2], offset: 6),
                         ParameterEntry(name: "ln.weight", shape: [3], offset: 8), ParameterEntry(name: "wte.weight", shape: [4, 2], offset: 11),
                         ParameterEntry(name: "wpe.weight", shape: [2, 2], offset: 19)]
    static let count = 23

    @Test("the decayed ranges are the matrices, adjacent ones merged; all means every element")
    func ranges() {
        #expect(decayedRanges(.matrices, layout: Self.layout, parameterCount: Self.count) == [0..<6, 11..<23])
        #expect(decayedRanges(.all, layout: Self.layout, parameterCount: Self.count) == [0..<23])
    }

    @Test("AdamW with decay: matrices shrinks only the matrices when gradients are zero")
    func onlyMatricesDecay() {
        let spec = OptimizerSpec(kind: .adamw, learningRate: 0.1, weightDecay: 0.5, decay: .matrices)
        let optimizer = makeOptimizer(spec, parameterCount: Self.count, layout: Self.layout)
        var p = [Float](repeating: 2, count: Self.count), g = [Float](repeating: 0, count: Self.count)
        p.withUnsafeMutableBufferPointer { pp in g.withUnsafeMutableBufferPointer { optimizer.step(parameters: pp, gradients: $0, learningRate: 0.1) } }
        let learningRate: Float = 0.1, weightDecay: Float = 0.5
        let shrunk: Float = 2 * (1 - learningRate * weightDecay)
        for i in 0..<Self.count {
            let matrix = (0..<6).contains(i) || (11..<23).contains(i)
            #expect(p[i] == (matrix ? shrunk : 2), "element \(i): \(p[i])")
        }
    }

    @Test("a sharded update (each shard its own optimizer, as on ranks) equals the whole one", arguments: [OptimizerKind.adamw, .adam])
    func shardedMatchesWhole(kind: OptimizerKind) {
        let spec = OptimizerSpec(kind: kind, learningRate: 0.01, weightDecay: 0.1, decay: .matrices)
        var rng = CounterRNG(seed: 8, stream: .test)
        let start = (0..<Self.count).map { _ in rng.nextUniform() * 2 - 1 }
        let gradients = (0..<3).map { _ in (0..<Self.count).map { _ in rng.nextUniform() - 0.5 } }
        let whole = makeOptimizer(spec, parameterCount: Self.count, layout: Self.layout)
        let shards = [0..<4, 4..<12, 12..<20, 20..<23]
        let parts = shards.map { _ in makeOptimizer(spec, parameterCount: Self.count, layout: Self.layout) }
        var a = start, b = start
        for step in gradients {
            var g = step
            a.withUnsafeMutableBufferPointer { pp in g.withUnsafeMutableBufferPointer { whole.step(parameters: pp, gradients: $0, learningRate: 0.01) } }
            g = step
            for (shard, optimizer) in zip(shards, parts) {
                b.withUnsafeMutableBufferPointer { pp in
                    g.withUnsafeMutableBufferPointer { optimizer.step(parameters: pp, gradients: $0, learningRate: 0.01, range: shard) }
                }
            }
        }
        #expect(a == b)
        // And the scope mattered: with decay everywhere the biases end elsewhere.
        let everywhere = makeOptimizer(OptimizerSpec(kind: kind, learningRate: 0.01, weightDecay: 0.1), parameterCount: Self.count)
        var c = start
        for step in gradients {
            var g = step
            c.withUnsafeMutableBufferPointer { pp in g.withUnsafeMutableBufferPointer { everywhere.step(parameters: pp, gradients: $0, learningRate: 0.01) } }
        }
        #expect(Array(a[0..<6]) == Array(c[0..<6]) && Array(a[6..<11]) != Array(c[6..<11]))
    }

    @Test("SGD refuses decay: matrices")
    func sgdRefuses() {
        #expect(throws: OptimizerSpecError.self) { try OptimizerSpec(kind: .sgd, learningRate: 0.1, decay: .matrices).validate() }
    }
}
