// Transformer kernels: the AVX2+FMA and AVX-512 paths of tanh-GELU, layer norm and attention's
// softmax give the scalar loops' outputs and gradients, and each other's, at sizes with and without
// a vector tail at either width; causal attention computed by row blocks gives what the whole score
// matrix gives.
import Testing
@testable import Model

/// A layer whose vector kernels run at a chosen width or not at all (nil), built from the same seed.
private struct KernelCase: CustomTestStringConvertible, Sendable {
    let label: String
    let batch: Int
    let make: @Sendable (_ vector: VectorWidth?) -> Layer
    var testDescription: String { label }
}

private let kernelCases: [KernelCase] = [
    KernelCase(label: "tanh-GELU over 1003 values", batch: 2) { vector in
        let layer = Activation(name: "a", kind: .gelu_tanh, shape: [1003])
        layer.vectorWidth = vector
        return layer
    },
    KernelCase(label: "LayerNorm over [5, 128]", batch: 3) { vector in
        let layer = LayerNorm(name: "ln", inputShape: [5, 128])
        layer.vectorWidth = vector
        return layer
    },
    KernelCase(label: "LayerNorm over [4, 13]", batch: 2) { vector in
        let layer = LayerNorm(name: "ln", inputShape: [4, 13])
        layer.vectorWidth = vector
        return layer
    },
    KernelCase(label: "LayerNorm over [3, 40]", batch: 2) { vector in
        let layer = LayerNorm(name: "ln", inputShape: [3, 40])
        layer.vectorWidth = vector
        return layer
    },
    KernelCase(label: "causal attention, 21 positions, 2 heads", batch: 2) { vector in
        let layer = CausalSelfAttention(name: "attn", positions: 21, dim: 16, heads: 2, weightInit: .normal(std: 0.5))
        layer.vectorWidth = vector
        return layer
    },
    KernelCase(label: "attention without the mask, 19 positions, 4 heads", batch: 2) { vector in
        let layer = CausalSelfAttention(name: "attn", positions: 19, dim: 16, heads: 4, causal: false, weightInit: .normal(std: 0.5))
        layer.vectorWidth = vector
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

/// How far two paths may part, element by element: a relative part of the element itself plus
/// `floorTolerance` of the largest element. Gradients are sums of up to batch × positions products
/// in another order, whose rounding is relative to the summed magnitudes, not to a result that
/// cancels: the floor, 10 × (120 terms × 2^-24), covers that.
private let floorTolerance: Float = 1e-5
/// Vector kernels against the scalar loops: their tanh and exp approximations add a relative part.
private let vectorRelative: Float = 5e-2
/// AVX-512 against AVX2: the same per-lane arithmetic; row sums in another order (a few ulp of 2^-24).
private let widthRelative: Float = 1e-5
/// Row blocks against the whole score matrix: the same arithmetic through sgemm calls of other shapes.
private let blockRelative: Float = 1e-2

/// The elements where `a` and `b` differ by more than `relative`·|b| + `floor`·max|b|, checked
/// one by one (an error in a small entry shows, not only in the largest), a NaN or infinity in
/// either counting as a difference, and a length mismatch as every element.
private func mismatches(_ a: [Float], _ b: [Float], relative: Float, floor: Float) -> [Int] {
    guard a.count == b.count else { return Array(0..<max(a.count, b.count)) }
    let scale = b.reduce(0) { max($0, abs($1)) }
    return a.indices.filter { i in
        !(a[i].isFinite && b[i].isFinite && abs(a[i] - b[i]) <= relative * abs(b[i]) + floor * scale)
    }
}

/// `mismatches` as an expectation's message: how many, and the first few with both values.
private func describe(_ bad: [Int], _ a: [Float], _ b: [Float]) -> String {
    "\(bad.count) elements differ: " + bad.prefix(3).map { "#\($0): \(a[$0]) vs \(b[$0])" }.joined(separator: ", ")
}

@Test("vector kernels match the scalar loops", .enabled(if: VectorWidth.available != nil, "this CPU has no AVX2+FMA"),
      arguments: kernelCases, VectorWidth.runnable)
private func vectorKernelsMatchScalar(_ testCase: KernelCase, width: VectorWidth) {
    let vector = pass(testCase.make(width), batch: testCase.batch)
    let scalar = pass(testCase.make(nil), batch: testCase.batch)
    for (name, v, s) in [("outputs", vector.output, scalar.output), ("input gradients", vector.inputGradient, scalar.inputGradient),
                         ("parameter gradients", vector.parameterGradient, scalar.parameterGradient)] {
        let bad = mismatches(v, s, relative: vectorRelative, floor: floorTolerance)
        #expect(bad.count == 0, "\(testCase.label): \(name): \(describe(bad, v, s))")
    }
}

/// Causal attention by blocks of rows (skipping the blocks above the diagonal) gives what one
/// block, the whole score matrix, gives: with the vector kernels at each width and the scalar loops, for
/// positions that are and are not a multiple of the block. The blocked layer's scratch buffers
/// start as NaN, so reading any entry the pass did not write would show.
@Test("causal attention by row blocks matches the whole score matrix",
      arguments: [(21, 4), (21, 8), (16, 16), (40, 32)], [nil] + VectorWidth.runnable.map(Optional.some))
private func causalBlocksMatchWholeMatrix(shape: (positions: Int, block: Int), vector: VectorWidth?) {
    func attention(block: Int) -> CausalSelfAttention {
        let layer = CausalSelfAttention(name: "attn", positions: shape.positions, dim: 16, heads: 2, weightInit: .normal(std: 0.5))
        layer.vectorWidth = vector
        layer.causalBlockRows = block
        return layer
    }
    let whole = pass(attention(block: shape.positions), batch: 3)
    let blocked = attention(block: shape.block)
    blocked.scratchFill = .nan
    let result = pass(blocked, batch: 3)
    for (name, r, w) in [("outputs", result.output, whole.output), ("input gradients", result.inputGradient, whole.inputGradient),
                         ("parameter gradients", result.parameterGradient, whole.parameterGradient)] {
        let bad = mismatches(r, w, relative: blockRelative, floor: floorTolerance)
        #expect(bad.count == 0, "\(name): \(describe(bad, r, w))")
    }
    // The skipped blocks are not counted in the step's matrix products either.
    let flops = { (layer: CausalSelfAttention) in layer.matrixProducts(batch: 1, needInputGradient: true).reduce(0) { $0 + $1.flops } }
    if shape.block < shape.positions { #expect(flops(blocked) < flops(attention(block: shape.positions))) }
}

/// The two widths run the same operations on each lane, so AVX-512 and AVX2 agree far more closely
/// than either does with the scalar loops: only sums over a row, added in another order, may part
/// (by a few units in the last place of their terms). A wrong lane mask or tail would show here.
@Test("AVX-512 and AVX2 kernels agree", .enabled(if: VectorWidth.runnable.count == 2, "this CPU has no AVX-512"),
      arguments: kernelCases)
private func widthsAgree(_ testCase: KernelCase) {
    let wide = pass(testCase.make(.avx512), batch: testCase.batch)
    let narrow = pass(testCase.make(.avx2), batch: testCase.batch)
    for (name, w, n) in [("outputs", wide.output, narrow.output), ("input gradients", wide.inputGradient, narrow.inputGradient),
                         ("parameter gradients", wide.parameterGradient, narrow.parameterGradient)] {
        let bad = mismatches(w, n, relative: widthRelative, floor: floorTolerance)
        #expect(bad.count == 0, "\(testCase.label): \(name): \(describe(bad, w, n))")
    }
}

/// The comparison itself: a NaN anywhere, or an error in an entry far smaller than the largest,
/// is a mismatch (comparing only the largest difference with the largest entry hid both).
@Test("the comparison catches a NaN anywhere and an error in a small entry")
private func comparisonCatchesWhatMaxErrorHid() {
    let reference: [Float] = [10, -3, 0.02, 5, 0.5, 7]
    var withNaN = reference
    withNaN[4] = .nan
    #expect(mismatches(withNaN, reference, relative: vectorRelative, floor: floorTolerance) == [4])
    var smallWrong = reference
    smallWrong[2] = -0.02   // sign lost in an entry 500 times below the largest
    #expect(mismatches(smallWrong, reference, relative: vectorRelative, floor: floorTolerance) == [2])
    #expect(mismatches(reference, reference, relative: vectorRelative, floor: floorTolerance).isEmpty)
    #expect(mismatches(Array(reference.dropLast()), reference, relative: vectorRelative, floor: floorTolerance).count == 6)
}
