// Transformer kernels: the AVX2+FMA paths of tanh-GELU, layer norm and attention's softmax give
// the scalar loops' outputs and gradients, at sizes with and without a vector tail; causal
// attention computed by row blocks gives what the whole score matrix gives.
import Testing
@testable import Model

/// A layer whose vector kernels can be switched off, built twice from the same seed.
private struct KernelCase: CustomTestStringConvertible, Sendable {
    let label: String
    let batch: Int
    let make: @Sendable (_ vector: Bool) -> Layer
    var testDescription: String { label }
}

private let kernelCases: [KernelCase] = [
    KernelCase(label: "tanh-GELU over 1003 values", batch: 2) { vector in
        let layer = Activation(name: "a", kind: .gelu_tanh, shape: [1003])
        layer.usesVectorKernels = vector
        return layer
    },
    KernelCase(label: "LayerNorm over [5, 128]", batch: 3) { vector in
        let layer = LayerNorm(name: "ln", inputShape: [5, 128])
        layer.usesVectorKernels = vector
        return layer
    },
    KernelCase(label: "LayerNorm over [4, 13]", batch: 2) { vector in
        let layer = LayerNorm(name: "ln", inputShape: [4, 13])
        layer.usesVectorKernels = vector
        return layer
    },
    KernelCase(label: "causal attention, 21 positions, 2 heads", batch: 2) { vector in
        let layer = CausalSelfAttention(name: "attn", positions: 21, dim: 16, heads: 2, weightInit: .normal(std: 0.5))
        layer.usesVectorKernels = vector
        return layer
    },
    KernelCase(label: "attention without the mask, 19 positions, 4 heads", batch: 2) { vector in
        let layer = CausalSelfAttention(name: "attn", positions: 19, dim: 16, heads: 4, causal: false, weightInit: .normal(std: 0.5))
        layer.usesVectorKernels = vector
        return layer
    },
]

/// Output, input gradient and parameter gradient of one forward and backward pass.
private func pass(_ layer: Layer, batch: Int) -> (output: [Float], inputGradient: [Float], parameterGradient: [Float]) {
    let network = Sequential(layers: [layer], seed: 5)
    // Layer norm starts at weight 1, bias 0: move them so the parameters matter.
    var rng = CounterRNG(seed: 8, stream: .test)
    for i in 0..<network.store.count { network.store.parameters.pointer[i] += rng.nextUniform() - 0.5 }
    let x = (0..<batch * elementCount(layer.inputShape)).map { _ in rng.nextUniform() * 8 - 4 }
    let dy = (0..<batch * elementCount(layer.outputShape)).map { _ in rng.nextUniform() * 2 - 1 }
    return x.withUnsafeBufferPointer { xp in
        let y = layer.forward(xp.baseAddress!, batch: batch, context: ForwardContext(training: true))
        let output = Array(UnsafeBufferPointer(start: y, count: dy.count))
        let dx = dy.withUnsafeBufferPointer { layer.backward($0.baseAddress!, batch: batch, accumulate: false, needInputGradient: true)! }
        return (output, Array(UnsafeBufferPointer(start: dx, count: x.count)), network.store.gradients.array)
    }
}

/// Largest |a − b| relative to the largest |b| (or 1, if smaller).
private func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    let scale = max(b.map(abs).max() ?? 0, 1)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

@Test("vector kernels match the scalar loops", .enabled(if: CPUInfo.current.hasAVX2FMA), arguments: kernelCases)
private func vectorKernelsMatchScalar(_ testCase: KernelCase) {
    let vector = pass(testCase.make(true), batch: testCase.batch)
    let scalar = pass(testCase.make(false), batch: testCase.batch)
    #expect(vector.output.count == scalar.output.count)
    #expect(relativeError(vector.output, scalar.output) < 1e-4, "\(testCase.label): outputs")
    #expect(relativeError(vector.inputGradient, scalar.inputGradient) < 1e-4, "\(testCase.label): input gradients")
    #expect(relativeError(vector.parameterGradient, scalar.parameterGradient) < 1e-4, "\(testCase.label): parameter gradients")
    #expect(vector.output.allSatisfy(\.isFinite) && vector.inputGradient.allSatisfy(\.isFinite))
}

/// Causal attention by blocks of rows (skipping the blocks above the diagonal) gives what one
/// block, the whole score matrix, gives: with the vector kernels and the scalar loops, for
/// positions that are and are not a multiple of the block. The blocked layer's scratch buffers
/// start as NaN, so reading any entry the pass did not write would show.
@Test("causal attention by row blocks matches the whole score matrix",
      arguments: [(21, 4), (21, 8), (16, 16), (40, 32)], [true, false])
private func causalBlocksMatchWholeMatrix(shape: (positions: Int, block: Int), vector: Bool) {
    func attention(block: Int) -> CausalSelfAttention {
        let layer = CausalSelfAttention(name: "attn", positions: shape.positions, dim: 16, heads: 2, weightInit: .normal(std: 0.5))
        layer.usesVectorKernels = vector && CPUInfo.current.hasAVX2FMA
        layer.causalBlockRows = block
        return layer
    }
    let whole = pass(attention(block: shape.positions), batch: 3)
    let blocked = attention(block: shape.block)
    blocked.scratchFill = .nan
    let result = pass(blocked, batch: 3)
    #expect(relativeError(result.output, whole.output) < 1e-5, "outputs")
    #expect(relativeError(result.inputGradient, whole.inputGradient) < 1e-5, "input gradients")
    #expect(relativeError(result.parameterGradient, whole.parameterGradient) < 1e-5, "parameter gradients")
    #expect(result.output.allSatisfy(\.isFinite) && result.inputGradient.allSatisfy(\.isFinite)
            && result.parameterGradient.allSatisfy(\.isFinite))
    // The skipped blocks are not counted in the step's matrix products either.
    let flops = { (layer: CausalSelfAttention) in layer.matrixProducts(batch: 1, needInputGradient: true).reduce(0) { $0 + $1.flops } }
    if shape.block < shape.positions { #expect(flops(blocked) < flops(attention(block: shape.positions))) }
}
