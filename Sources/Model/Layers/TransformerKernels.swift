// TransformerKernels: CSIMD's transformer kernels (tanh-GELU, softmax rows, layer norm) at a chosen
// vector width — the one place the layers' calls turn into the _avx512 or _avx2 C functions.
import CSIMD

extension VectorWidth {
    /// y = gelu_tanh(x) over n values.
    func geluTanhForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch self {
        case .avx512: csimd_gelu_tanh_forward_avx512(x, y, n)
        case .avx2: csimd_gelu_tanh_forward_avx2(x, y, n)
        }
    }

    /// dx = dy · gelu_tanh′(x) over n values.
    func geluTanhBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
        switch self {
        case .avx512: csimd_gelu_tanh_backward_avx512(x, dy, dx, n)
        case .avx2: csimd_gelu_tanh_backward_avx2(x, dy, dx, n)
        }
    }

    /// Softmax of `rows` rows of `count` in place; `causal` keeps row i's first i + 1 entries and
    /// zeroes the rest of its block of `block` rows.
    func softmaxRows(_ p: UnsafeMutablePointer<Float>, rows: Int, count: Int, causal: Bool, block: Int) {
        switch self {
        case .avx512: csimd_softmax_rows_avx512(p, rows, count, causal ? 1 : 0, block)
        case .avx2: csimd_softmax_rows_avx2(p, rows, count, causal ? 1 : 0, block)
        }
    }

    /// Softmax backward in place: d ← p ⊙ (d − Σⱼ dⱼ pⱼ), row by row, as `softmaxRows` masks.
    func softmaxBackwardRows(_ p: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, rows: Int, count: Int,
                             causal: Bool, block: Int) {
        switch self {
        case .avx512: csimd_softmax_backward_rows_avx512(p, d, rows, count, causal ? 1 : 0, block)
        case .avx2: csimd_softmax_backward_rows_avx2(p, d, rows, count, causal ? 1 : 0, block)
        }
    }

    /// Layer norm forward: y = x̂·w + b, keeping x̂ and 1/σ per row for backward.
    func layerNormForward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                          output: UnsafeMutablePointer<Float>, normalized: UnsafeMutablePointer<Float>,
                          inverseDeviation: UnsafeMutablePointer<Float>, rows: Int, features: Int, epsilon: Float) {
        switch self {
        case .avx512:
            csimd_layer_norm_forward_avx512(x, weight, bias, output, normalized, inverseDeviation, rows, features, epsilon)
        case .avx2:
            csimd_layer_norm_forward_avx2(x, weight, bias, output, normalized, inverseDeviation, rows, features, epsilon)
        }
    }

    /// Layer norm backward: adds into the weight and bias gradients; writes the input gradient
    /// when `inputGradient` is not nil.
    func layerNormBackward(_ dy: UnsafePointer<Float>, normalized: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                           inverseDeviation: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
                           biasGradient: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                           rows: Int, features: Int) {
        switch self {
        case .avx512:
            csimd_layer_norm_backward_avx512(dy, normalized, weight, inverseDeviation, weightGradient, biasGradient, inputGradient,
                                             rows, features)
        case .avx2:
            csimd_layer_norm_backward_avx2(dy, normalized, weight, inverseDeviation, weightGradient, biasGradient, inputGradient,
                                           rows, features)
        }
    }
}
