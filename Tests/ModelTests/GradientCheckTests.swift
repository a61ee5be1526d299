// Finite-difference gradient checks: every layer's backward pass and every loss's gradient
// against central differences of its forward pass, table-driven, one labelled row per case.
import Testing
@testable import Model

/// Relative-plus-absolute tolerance for Float32 central differences with step 1e-3.
private let absoluteTolerance = 2e-3
private let relativeTolerance = 2e-2

private func close(_ a: Double, _ b: Double) -> Bool {
    abs(a - b) <= absoluteTolerance + relativeTolerance * max(abs(a), abs(b))
}

/// A layer under test and the batch it runs on.
struct LayerCase: CustomTestStringConvertible, Sendable {
    let label: String
    let batch: Int
    let make: @Sendable () -> Layer
    var testDescription: String { label }
}

private let layerCases: [LayerCase] = [
    LayerCase(label: "Dense 5→3", batch: 4) { Dense(name: "fc", inputs: 5, outputs: 3) },
    LayerCase(label: "ReLU", batch: 3) { Activation(name: "a", kind: .relu, shape: [7]) },
    LayerCase(label: "Tanh", batch: 3) { Activation(name: "a", kind: .tanh, shape: [7]) },
    LayerCase(label: "Sigmoid", batch: 3) { Activation(name: "a", kind: .sigmoid, shape: [7]) },
    LayerCase(label: "GELU", batch: 3) { Activation(name: "a", kind: .gelu, shape: [7]) },
    LayerCase(label: "Dropout p=0.5 (training)", batch: 3) { Dropout(name: "d", probability: 0.5, shape: [8], streamID: 0) },
    LayerCase(label: "Flatten", batch: 2) { Flatten(name: "f", shape: [2, 3, 2]) },
    LayerCase(label: "Conv2D 3×3 pad 1", batch: 2) { Conv2D(name: "c", inputShape: [5, 5, 2], outChannels: 3, kernel: 3, padding: 1) },
    LayerCase(label: "Conv2D 3×3 stride 2", batch: 2) { Conv2D(name: "c", inputShape: [7, 6, 2], outChannels: 2, kernel: 3, stride: 2) },
    LayerCase(label: "Conv2D 5×5 pad 2, 1 channel", batch: 2) { Conv2D(name: "c", inputShape: [6, 6, 1], outChannels: 2, kernel: 5, padding: 2) },
    LayerCase(label: "Conv2D 3×3 pad 1, im2col", batch: 2) { Conv2D(name: "c", inputShape: [5, 5, 2], outChannels: 3, kernel: 3, padding: 1, direct: false) },
    LayerCase(label: "Conv2D 5×5 pad 2, 1 channel, im2col", batch: 2) { Conv2D(name: "c", inputShape: [6, 6, 1], outChannels: 2, kernel: 5, padding: 2, direct: false) },
    LayerCase(label: "Conv2D 3×3 pad 1, 16→16 channels", batch: 2) { Conv2D(name: "c", inputShape: [4, 5, 16], outChannels: 16, kernel: 3, padding: 1) },
    LayerCase(label: "Conv2D 3×3 no pad, 3→20 channels", batch: 2) { Conv2D(name: "c", inputShape: [5, 6, 3], outChannels: 20, kernel: 3) },
    LayerCase(label: "MaxPool2D 2×2", batch: 2) { MaxPool2D(name: "p", inputShape: [4, 6, 3]) },
    LayerCase(label: "MaxPool2D 3×3 stride 2", batch: 1) { MaxPool2D(name: "p", inputShape: [7, 7, 2], window: 3, stride: 2) },
    LayerCase(label: "GELU, tanh form", batch: 3) { Activation(name: "a", kind: .gelu_tanh, shape: [7]) },
    LayerCase(label: "SiLU", batch: 3) { Activation(name: "a", kind: .silu, shape: [7]) },
    LayerCase(label: "Dense over positions [4, 5]→[4, 3]", batch: 2) { Dense(name: "fc", inputShape: [4, 5], outputs: 3) },
    LayerCase(label: "AvgPool2D 2×2", batch: 2) { AvgPool2D(name: "p", inputShape: [4, 6, 3]) },
    LayerCase(label: "AvgPool2D 3×3 stride 2", batch: 1) { AvgPool2D(name: "p", inputShape: [7, 7, 2], window: 3, stride: 2) },
    LayerCase(label: "GlobalAvgPool", batch: 2) { GlobalAvgPool(name: "g", inputShape: [3, 4, 5]) },
    LayerCase(label: "LayerNorm over [3, 6]", batch: 2) { LayerNorm(name: "ln", inputShape: [3, 6]) },
    LayerCase(label: "RMSNorm over [3, 6]", batch: 2) { RMSNorm(name: "rms", inputShape: [3, 6]) },
    LayerCase(label: "RMSNorm over [5], eps 1e-3, random weight", batch: 3) {
        RMSNorm(name: "rms", inputShape: [5], epsilon: 1e-3, initializer: .normal(std: 0.8))
    },
    LayerCase(label: "Residual(Dense, GELU, Dense)", batch: 3) {
        Residual(name: "res", layers: [Dense(name: "res.fc", inputs: 6, outputs: 4), Activation(name: "res.act", kind: .gelu, shape: [4]),
                                       Dense(name: "res.proj", inputs: 4, outputs: 6)])
    },
    LayerCase(label: "PositionEmbedding [4, 3]", batch: 2) { PositionEmbedding(name: "wpe", inputShape: [4, 3], initializer: .normal(std: 0.5)) },
    LayerCase(label: "causal self-attention, 2 heads", batch: 2) {
        CausalSelfAttention(name: "attn", positions: 4, dim: 6, heads: 2, weightInit: .normal(std: 0.4))
    },
    LayerCase(label: "self-attention without the mask, 3 heads", batch: 2) {
        CausalSelfAttention(name: "attn", positions: 3, dim: 6, heads: 3, causal: false, weightInit: .normal(std: 0.4))
    },
    LayerCase(label: "transformer block, 2 heads, MLP 8", batch: 2) {
        TransformerBlock(name: "blocks.0", positions: 3, dim: 4, heads: 2, mlp: 8)
    },
    LayerCase(label: "transformer block with RMS norms, 2 heads, MLP 8", batch: 2) {
        TransformerBlock(name: "blocks.0", positions: 3, dim: 4, heads: 2, mlp: 8, rmsNorm: true)
    },
    LayerCase(label: "BatchNorm over [3, 4, 2] images (training)", batch: 3) { BatchNorm(name: "bn", inputShape: [3, 4, 2]) },
    LayerCase(label: "BatchNorm over [5] features (training)", batch: 4) { BatchNorm(name: "bn", inputShape: [5]) },
    LayerCase(label: "Residual(Conv2D, BatchNorm)", batch: 2) {
        Residual(name: "res", layers: [Conv2D(name: "res.conv", inputShape: [4, 4, 2], outChannels: 2, kernel: 3, padding: 1),
                                       BatchNorm(name: "res.bn", inputShape: [4, 4, 2])])
    },
    LayerCase(label: "Residual(LayerNorm, Conv2D)", batch: 2) {
        Residual(name: "res", layers: [LayerNorm(name: "res.ln", inputShape: [4, 4, 2]),
                                       Conv2D(name: "res.conv", inputShape: [4, 4, 2], outChannels: 2, kernel: 3, padding: 1)])
    },
]

/// f(x, θ) = Σ r ⊙ layer(x): a random projection makes every output matter.
private func projectedOutput(_ layer: Layer, _ x: [Float], _ r: [Float], _ batch: Int, _ context: ForwardContext) -> Double {
    x.withUnsafeBufferPointer { xp in
        let y = layer.forward(xp.baseAddress!, batch: batch, context: context)
        var s = 0.0
        for i in r.indices { s += Double(y[i]) * Double(r[i]) }
        return s
    }
}

@Test("layer gradients match finite differences", arguments: layerCases)
func layerGradient(_ testCase: LayerCase) throws {
    let layer = testCase.make()
    let network = Sequential(layers: [layer], seed: 7)
    var rng = CounterRNG(seed: 99, stream: .test)
    let batch = testCase.batch
    var x = (0..<batch * elementCount(layer.inputShape)).map { _ in rng.nextUniform() * 4 - 2 }
    let r = (0..<batch * elementCount(layer.outputShape)).map { _ in rng.nextUniform() * 2 - 1 }
    let context = ForwardContext(training: true, seed: 3, step: 11)

    // Analytic gradients.
    _ = projectedOutput(layer, x, r, batch, context)
    let dx: [Float] = r.withUnsafeBufferPointer { rp in
        let g = layer.backward(rp.baseAddress!, batch: batch, accumulate: false, needInputGradient: true)!
        return Array(UnsafeBufferPointer(start: g, count: x.count))
    }
    let dTheta = network.store.gradients.array

    let eps: Float = 1e-3
    for i in x.indices {
        let saved = x[i]
        x[i] = saved + eps; let plus = projectedOutput(layer, x, r, batch, context)
        x[i] = saved - eps; let minus = projectedOutput(layer, x, r, batch, context)
        x[i] = saved
        let numeric = (plus - minus) / Double(2 * eps)
        #expect(close(numeric, Double(dx[i])), "\(testCase.label): dx[\(i)] analytic \(dx[i]) numeric \(numeric)")
    }
    let theta = network.store.parameters.pointer
    for i in 0..<network.store.count {
        let saved = theta[i]
        theta[i] = saved + eps; let plus = projectedOutput(layer, x, r, batch, context)
        theta[i] = saved - eps; let minus = projectedOutput(layer, x, r, batch, context)
        theta[i] = saved
        let numeric = (plus - minus) / Double(2 * eps)
        #expect(close(numeric, Double(dTheta[i])), "\(testCase.label): dθ[\(i)] analytic \(dTheta[i]) numeric \(numeric)")
    }
}

@Test("backward with accumulate adds to the existing gradient")
func accumulateAddsGradients() {
    let layer = Dense(name: "fc", inputs: 3, outputs: 2)
    let network = Sequential(layers: [layer], seed: 1)
    let x: [Float] = [1, 2, 3, -1, 0.5, 2]
    let dy: [Float] = [1, -1, 0.5, 2]
    func pass(accumulate: Bool) {
        x.withUnsafeBufferPointer { xp in
            _ = layer.forward(xp.baseAddress!, batch: 2, context: ForwardContext())
            dy.withUnsafeBufferPointer { _ = layer.backward($0.baseAddress!, batch: 2, accumulate: accumulate, needInputGradient: false) }
        }
    }
    pass(accumulate: false)
    let once = network.store.gradients.array
    pass(accumulate: true)
    let twice = network.store.gradients.array
    #expect(zip(once, twice).allSatisfy { abs(2 * $0 - $1) < 1e-6 })
    pass(accumulate: false)
    #expect(network.store.gradients.array == once)
}

@Test("RMSNorm backward: accumulate adds the weight gradient; without the input gradient, the same weight gradient and nil")
func rmsNormBackwardPaths() {
    let layer = RMSNorm(name: "rms", inputShape: [4], epsilon: 1e-3, initializer: .normal(std: 0.8))
    let network = Sequential(layers: [layer], seed: 5)
    let x: [Float] = [1, -2, 0.5, 3, 0, 0, 0, 0, -1, 0.25, 2, -0.5]
    let dy: [Float] = [0.5, -1, 2, 1, 1, -1, 0.5, 2, -0.25, 1.5, -2, 0.75]
    func pass(accumulate: Bool, needInputGradient: Bool) -> [Float]? {
        x.withUnsafeBufferPointer { xp in
            _ = layer.forward(xp.baseAddress!, batch: 3, context: ForwardContext(training: true))
            return dy.withUnsafeBufferPointer { dp in
                layer.backward(dp.baseAddress!, batch: 3, accumulate: accumulate, needInputGradient: needInputGradient)
                    .map { Array(UnsafeBufferPointer(start: $0, count: x.count)) }
            }
        }
    }
    let dx = pass(accumulate: false, needInputGradient: true)
    let once = network.store.gradients.array
    #expect(dx != nil && dx!.allSatisfy { $0.isFinite }, "an all-zero row still has a finite input gradient: \(dx ?? [])")
    #expect(pass(accumulate: true, needInputGradient: false) == nil)
    let twice = network.store.gradients.array
    #expect(zip(once, twice).allSatisfy { abs(2 * $0 - $1) < 1e-5 }, "\(once) \(twice)")
    #expect(pass(accumulate: false, needInputGradient: false) == nil)
    #expect(network.store.gradients.array == once)
}

struct LossCase: CustomTestStringConvertible, Sendable {
    let label: String
    let kind: LossKind
    let width: Int
    let targets: [Float]
    var testDescription: String { label }
}

private let lossCases: [LossCase] = [
    LossCase(label: "softmax cross-entropy", kind: .crossEntropy, width: 4, targets: [0, 3, 1]),
    LossCase(label: "binary cross-entropy", kind: .binaryCrossEntropy, width: 2, targets: [0, 1, 1, 0, 1, 1]),
    LossCase(label: "mean squared error", kind: .meanSquaredError, width: 2, targets: [0.5, -1, 2, 0, 1, 3]),
]

@Test("loss gradients match finite differences", arguments: lossCases)
func lossGradient(_ testCase: LossCase) {
    let batch = 3, n = batch * testCase.width
    var rng = CounterRNG(seed: 5, stream: .test)
    var z = (0..<n).map { _ in rng.nextUniform() * 6 - 3 }
    var grad = [Float](repeating: 0, count: n), scratch = grad
    func loss(_ z: [Float]) -> Double {
        testCase.kind.evaluate(outputs: z, targets: testCase.targets, targetCount: testCase.targets.count, batch: batch, width: testCase.width,
                               gradient: &scratch)
    }
    _ = testCase.kind.evaluate(outputs: z, targets: testCase.targets, targetCount: testCase.targets.count, batch: batch, width: testCase.width,
                               gradient: &grad)
    let eps: Float = 1e-3
    for i in 0..<n {
        let saved = z[i]
        z[i] = saved + eps; let plus = loss(z)
        z[i] = saved - eps; let minus = loss(z)
        z[i] = saved
        let numeric = (plus - minus) / Double(2 * eps)
        #expect(close(numeric, Double(grad[i])), "\(testCase.label): dz[\(i)] analytic \(grad[i]) numeric \(numeric)")
    }
}

@Test("cross-entropy stays finite for huge logits")
func crossEntropyIsStable() {
    let z: [Float] = [1000, -1000, 0, 88.8]
    var g = [Float](repeating: 0, count: 4)
    let loss = LossKind.crossEntropy.evaluate(outputs: z, targets: [1], targetCount: 1, batch: 1, width: 4, gradient: &g)
    #expect(loss.isFinite)
    #expect(abs(loss - 2000) < 1e-2)
    #expect(g.allSatisfy { $0.isFinite })
}

@Test("whole networks: MLP and CNN parameter gradients match finite differences",
      arguments: [ModelSpec(kind: .mlp, hidden: [6, 5], activation: .tanh),
                  ModelSpec(kind: .cnn, hidden: [5], activation: .gelu, channels: [2, 3], kernel: 3)])
func networkGradient(_ spec: ModelSpec) throws {
    let network = try spec.build(sampleShape: [1, 6, 6], outputs: 3, seed: 21)
    let batch = 2
    var rng = CounterRNG(seed: 8, stream: .test)
    let x = (0..<batch * 36).map { _ in rng.nextUniform() }
    let labels: [Float] = [2, 0]
    var g = [Float](repeating: 0, count: batch * 3)
    func loss() -> Double {
        let out = network.forward(x, batch: batch, context: ForwardContext())
        return LossKind.crossEntropy.evaluate(outputs: out, targets: labels, targetCount: labels.count, batch: batch, width: 3, gradient: &g)
    }
    _ = loss()
    network.backward(g, batch: batch, accumulate: false)
    let analytic = network.store.gradients.array
    let theta = network.store.parameters.pointer, eps: Float = 1e-3
    for i in 0..<network.store.count {
        let saved = theta[i]
        theta[i] = saved + eps; let plus = loss()
        theta[i] = saved - eps; let minus = loss()
        theta[i] = saved
        let numeric = (plus - minus) / Double(2 * eps)
        #expect(close(numeric, Double(analytic[i])), "\(spec.kind) θ[\(i)] analytic \(analytic[i]) numeric \(numeric)")
    }
}

@Test("embedding gradients scatter into the rows of the ids used, matching finite differences")
func embeddingGradient() throws {
    let layer = Embedding(name: "wte", vocab: 5, dim: 3, positions: 4, initializer: .normal(std: 0.5))
    let network = Sequential(layers: [layer], seed: 7)
    let ids: [Float] = [1, 3, 3, 0, 4, 1, 1, 2]   // 2 samples of 4 positions; id 3 twice, 1 three times
    var rng = CounterRNG(seed: 5, stream: .test)
    let r = (0..<ids.count * 3).map { _ in rng.nextUniform() * 2 - 1 }
    let context = ForwardContext(training: true)
    _ = projectedOutput(layer, ids, r, 2, context)
    _ = r.withUnsafeBufferPointer { layer.backward($0.baseAddress!, batch: 2, accumulate: false, needInputGradient: false) }
    let analytic = network.store.gradients.array
    let theta = network.store.parameters.pointer
    for i in 0..<network.store.count {
        let saved = theta[i]
        theta[i] = saved + 1e-3; let plus = projectedOutput(layer, ids, r, 2, context)
        theta[i] = saved - 1e-3; let minus = projectedOutput(layer, ids, r, 2, context)
        theta[i] = saved
        #expect(close((plus - minus) / 2e-3, Double(analytic[i])), "dθ[\(i)]")
    }
    for row in 0..<5 { #expect(analytic[row * 3..<row * 3 + 3].contains { $0 != 0 }, "row \(row) is used, so it has a gradient") }
}
