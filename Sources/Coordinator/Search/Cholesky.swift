// Cholesky: the factor L Lᵀ = A + jitter·I of a symmetric positive-definite matrix through
// LAPACK dpotrf (OpenBLAS), retrying with growing jitter when A is numerically singular.
import CBLAS
import Foundation

/// A lower Cholesky factor, column-major, with the solves the Gaussian process needs.
struct Cholesky: Sendable {
    /// n × n, column-major; the lower triangle holds L (the strict upper triangle is zero).
    private(set) var factor: [Double]
    let n: Int
    /// Diagonal jitter that was added to make the factorisation succeed (0 when none).
    let jitter: Double

    /// Factors `matrix` (n × n, column-major, symmetric). Adds jitter 1e-10, 1e-8, ... up to
    /// 1e-2 times the mean diagonal when plain factorisation fails; nil if even that fails.
    init?(matrix: [Double], n: Int) {
        precondition(matrix.count == n * n)
        self.n = n
        let meanDiagonal = max(1e-300, (0..<n).reduce(0) { $0 + matrix[$1 * n + $1] } / Double(max(n, 1)))
        var jitters: [Double] = [0]
        var j = 1e-10
        while j <= 1e-2 { jitters.append(j * meanDiagonal); j *= 100 }
        for jitter in jitters {
            var a = matrix
            for i in 0..<n { a[i * n + i] += jitter }
            if Cholesky.potrf(&a, n: n) {
                for col in 0..<n { for row in 0..<col { a[col * n + row] = 0 } }
                self.factor = a
                self.jitter = jitter
                return
            }
        }
        return nil
    }

    private static func potrf(_ a: inout [Double], n: Int) -> Bool {
        if n == 0 { return true }
        var uplo = CChar(UInt8(ascii: "L")), nn = Int32(n), lda = Int32(n), info: Int32 = 0
        a.withUnsafeMutableBufferPointer { dpotrf_(&uplo, &nn, $0.baseAddress, &lda, &info) }
        return info == 0
    }

    /// log det(A + jitter·I) = 2 Σ log L_ii.
    var logDeterminant: Double {
        var s = 0.0
        for i in 0..<n { s += log(factor[i * n + i]) }
        return 2 * s
    }

    /// Solves (L Lᵀ) x = b.
    func solve(_ b: [Double]) -> [Double] {
        precondition(b.count == n)
        if n == 0 { return [] }
        var x = b
        var uplo = CChar(UInt8(ascii: "L")), nn = Int32(n), nrhs: Int32 = 1, lda = Int32(n), ldb = Int32(n), info: Int32 = 0
        factor.withUnsafeBufferPointer { f in
            x.withUnsafeMutableBufferPointer { dpotrs_(&uplo, &nn, &nrhs, f.baseAddress, &lda, $0.baseAddress, &ldb, &info) }
        }
        return x
    }

    /// Solves L v = b in place (forward substitution through BLAS dtrsv).
    func solveLower(_ b: inout [Double]) {
        precondition(b.count == n)
        if n == 0 { return }
        factor.withUnsafeBufferPointer { f in
            b.withUnsafeMutableBufferPointer {
                cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, Int32(n), f.baseAddress, Int32(n), $0.baseAddress, 1)
            }
        }
    }

    /// (L Lᵀ)⁻¹, full n × n, column-major (LAPACK dpotri, then mirrored).
    func inverse() -> [Double] {
        if n == 0 { return [] }
        var a = factor
        var uplo = CChar(UInt8(ascii: "L")), nn = Int32(n), lda = Int32(n), info: Int32 = 0
        a.withUnsafeMutableBufferPointer { dpotri_(&uplo, &nn, $0.baseAddress, &lda, &info) }
        precondition(info == 0, "dpotri failed with info \(info) on a factored matrix")
        for col in 0..<n { for row in 0..<col { a[col * n + row] = a[row * n + col] } }
        return a
    }
}
