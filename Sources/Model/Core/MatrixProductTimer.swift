// MatrixProductTimer: times a list of sgemm calls on this machine, at exactly the shapes a
// training step uses — the "sgemm-bound" speed limit that training throughput is judged by.
import CBLAS
import Foundation

/// Runs sgemm at given shapes on scratch matrices and reports the time they take.
///
/// Every product gets operands of its own (as in a real step, where each layer's weights and
/// activations are different memory), so caches are not flattered by reuse.
public final class MatrixProductTimer {
    private let products: [MatrixProduct]
    private let operands: [(a: FloatBuffer, b: FloatBuffer, c: FloatBuffer)]

    /// Prepares scratch matrices for every product.
    public init(_ products: [MatrixProduct]) {
        self.products = products
        var rng = CounterRNG(seed: 1, stream: .test)
        operands = products.map { p in
            let a = FloatBuffer(count: p.m * p.k), b = FloatBuffer(count: p.k * p.n), c = FloatBuffer(count: p.m * p.n)
            for buffer in [a, b] { for i in 0..<buffer.count { buffer.pointer[i] = rng.nextUniform() - 0.5 } }
            return (a, b, c)
        }
    }

    /// Runs every product once.
    public func runOnce() {
        for (p, o) in zip(products, operands) {
            cblas_sgemm(CblasRowMajor, p.transposeA ? CblasTrans : CblasNoTrans, p.transposeB ? CblasTrans : CblasNoTrans,
                        Int32(p.m), Int32(p.n), Int32(p.k), 1,
                        o.a.pointer, Int32(p.transposeA ? p.m : p.k),
                        o.b.pointer, Int32(p.transposeB ? p.k : p.n),
                        0, o.c.pointer, Int32(p.n))
        }
    }

    /// Seconds for one pass over every product, averaged over `passes` after one warm-up pass.
    public func secondsPerPass(passes: Int) -> Double {
        runOnce()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<passes { runOnce() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(max(passes, 1))
    }

    /// Total floating-point operations of one pass.
    public var flopsPerPass: Double { Double(products.reduce(0) { $0 + $1.flops }) }
}
