// ConvolutionPathTests: Conv2D's direct kernels against its im2col + sgemm path on the same
// parameters — outputs, parameter gradients (also accumulated) and input gradients.
import Testing
@testable import Model

struct ConvolutionPathTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String, shape: [Int], out: Int, kernel: Int, padding: Int, batch: Int
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "Fashion conv1: 28×28×1 → 16, 5×5 pad 2", shape: [28, 28, 1], out: 16, kernel: 5, padding: 2, batch: 3),
        Case(label: "Fashion conv2: 14×14×16 → 32, 5×5 pad 2", shape: [14, 14, 16], out: 32, kernel: 5, padding: 2, batch: 2),
        Case(label: "odd: 9×7×5 → 19, 3×3 pad 1", shape: [9, 7, 5], out: 19, kernel: 3, padding: 1, batch: 2),
        Case(label: "odd: 8×11×2 → 48, 4×4 no pad", shape: [8, 11, 2], out: 48, kernel: 4, padding: 0, batch: 1),
    ]

    @Test(arguments: cases) func directMatchesIm2col(_ c: Case) throws {
        let direct = Conv2D(name: "c", inputShape: c.shape, outChannels: c.out, kernel: c.kernel, padding: c.padding)
        try #require(direct.usesDirectKernels || VectorWidth.available == nil)
        let reference = Conv2D(name: "c", inputShape: c.shape, outChannels: c.out, kernel: c.kernel, padding: c.padding, direct: false)
        let a = Sequential(layers: [direct], seed: 5), b = Sequential(layers: [reference], seed: 5)
        #expect(a.store.parameters.array == b.store.parameters.array)
        var rng = CounterRNG(seed: 3, stream: .test)
        let x = (0..<c.batch * c.shape.reduce(1, *)).map { _ in rng.nextUniform() * 2 - 1 }
        let dy = (0..<c.batch * direct.outputShape.reduce(1, *)).map { _ in rng.nextUniform() * 2 - 1 }
        let context = ForwardContext(training: true, seed: 1, step: 1)
        var results: [(y: [Float], dx: [Float], dTheta: [Float])] = []
        for (layer, network) in [(direct, a), (reference, b)] {
            let y = x.withUnsafeBufferPointer { xp in
                Array(UnsafeBufferPointer(start: layer.forward(xp.baseAddress!, batch: c.batch, context: context), count: dy.count))
            }
            let dx = dy.withUnsafeBufferPointer { gp in
                _ = layer.backward(gp.baseAddress!, batch: c.batch, accumulate: false, needInputGradient: false)
                let g = layer.backward(gp.baseAddress!, batch: c.batch, accumulate: true, needInputGradient: true)!
                return Array(UnsafeBufferPointer(start: g, count: x.count))
            }
            results.append((y, dx, network.store.gradients.array))
        }
        #expect(maxDifference(results[0].y, results[1].y) < 1e-4)
        #expect(maxDifference(results[0].dx, results[1].dx) < 1e-4)
        #expect(maxDifference(results[0].dTheta, results[1].dTheta) < 1e-3)
    }

    private func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
    }
}
