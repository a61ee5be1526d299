// SGEMMCheck: compares this process's sgemm (whatever kernels OpenBLAS runs) against a plain
// triple loop in double precision, at given shapes and transpositions.
import CBLAS

/// The result of checking one matrix product.
public struct SGEMMCheckResult: Sendable {
    public var product: MatrixProduct
    /// max |sgemm − reference| / Σₖ |a·b| over the output (0 for an exact result).
    public var error: Double
}

/// sgemm against a reference loop.
public enum SGEMMCheck {
    /// Largest acceptable `SGEMMCheckResult.error`: float rounding gives ~1e-7 per term; a
    /// broken kernel gives errors near 1.
    public static let tolerance = 1e-4

    /// Runs every product once through sgemm (beta 0.5 on a filled C, as layers accumulate)
    /// and through the reference loop, on pseudo-random operands.
    public static func run(_ products: [MatrixProduct]) -> [SGEMMCheckResult] {
        var rng = CounterRNG(seed: 7, stream: .test)
        return products.map { p in
            let a = FloatBuffer(count: p.m * p.k), b = FloatBuffer(count: p.k * p.n), c = FloatBuffer(count: p.m * p.n)
            for buffer in [a, b, c] { for i in 0..<buffer.count { buffer.pointer[i] = rng.nextUniform() - 0.5 } }
            let lda = p.transposeA ? p.m : p.k, ldb = p.transposeB ? p.k : p.n
            let original = Array(UnsafeBufferPointer(start: c.pointer, count: c.count))
            cblas_sgemm(CblasRowMajor, p.transposeA ? CblasTrans : CblasNoTrans, p.transposeB ? CblasTrans : CblasNoTrans,
                        Int32(p.m), Int32(p.n), Int32(p.k), 1, a.pointer, Int32(lda), b.pointer, Int32(ldb),
                        0.5, c.pointer, Int32(p.n))
            var worst = 0.0
            var row = [Double](repeating: 0, count: p.n), magnitude = row
            for i in 0..<p.m {
                for j in 0..<p.n { row[j] = 0.5 * Double(original[i * p.n + j]); magnitude[j] = abs(row[j]) }
                for l in 0..<p.k {
                    let x = Double(p.transposeA ? a.pointer[l * lda + i] : a.pointer[i * lda + l])
                    for j in 0..<p.n {
                        let y = Double(p.transposeB ? b.pointer[j * ldb + l] : b.pointer[l * ldb + j])
                        row[j] += x * y
                        magnitude[j] += abs(x * y)
                    }
                }
                for j in 0..<p.n {
                    worst = max(worst, abs(Double(c.pointer[i * p.n + j]) - row[j]) / max(magnitude[j], 1e-30))
                }
            }
            return SGEMMCheckResult(product: p, error: worst)
        }
    }
}
