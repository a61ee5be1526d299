// LinearMap: the matrix products every parameterised layer is made of — y = x·Wᵀ + b over
// [rows, inputs] and its backward pass — shared by Dense (rows = samples) and Conv2D (rows =
// output pixels of im2col columns).
import CBLAS

/// y[rows, outputs] = x[rows, inputs] · W[outputs, inputs]ᵀ + b (bias fused into the sgemm).
@inline(__always)
func linearForward(_ x: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int,
                   weight: ParameterView, bias: ParameterView, into y: UnsafeMutablePointer<Float>) {
    let b = bias.value.baseAddress!
    for r in 0..<rows { (y + r * outputs).update(from: b, count: outputs) }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs),
                1, x, Int32(inputs), weight.value.baseAddress, Int32(inputs), 1, y, Int32(outputs))
}

/// Backward of `linearForward`: dW (+)= dYᵀ·x and db (+)= column sums of dY (overwritten
/// unless `accumulate`), and dx = dY·W when `inputGradient` is given.
@inline(__always)
func linearBackward(_ dY: UnsafePointer<Float>, input x: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int,
                    weight: ParameterView, bias: ParameterView, accumulate: Bool,
                    inputGradient: UnsafeMutablePointer<Float>?) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outputs), Int32(inputs), Int32(rows),
                1, dY, Int32(outputs), x, Int32(inputs), accumulate ? 1 : 0, weight.gradient.baseAddress, Int32(inputs))
    let db = bias.gradient.baseAddress!
    if !accumulate { db.update(repeating: 0, count: outputs) }
    for r in 0..<rows {
        let g = dY + r * outputs
        for j in 0..<outputs { db[j] += g[j] }
    }
    guard let dx = inputGradient else { return }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(inputs), Int32(outputs),
                1, dY, Int32(outputs), weight.value.baseAddress, Int32(inputs), 0, dx, Int32(inputs))
}
