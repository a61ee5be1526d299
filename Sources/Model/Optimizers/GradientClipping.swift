// GradientClipping: scales the flat gradient buffer so its global L2 norm is at most a maximum,
// as PyTorch's clip_grad_norm_ does, and returns the norm measured before clipping.

import CBLAS

/// Clips `gradients` in place to global L2 norm `maxNorm` and returns the norm before clipping.
///
/// The norm is accumulated in Double. When it exceeds `maxNorm`, every element is multiplied
/// by `maxNorm / (norm + 1e-6)` (PyTorch's coefficient); otherwise nothing changes. A
/// non-finite norm (NaN or infinity in the gradients) is returned as is and the gradients are
/// left untouched, so the caller can skip the step. Call it after averaging across ranks,
/// so every rank clips identically. `maxNorm` must be positive.
@discardableResult
public func clipGradientNorm(_ gradients: UnsafeMutableBufferPointer<Float>, maxNorm: Float) -> Float {
    precondition(maxNorm > 0, "maxNorm must be positive, got \(maxNorm)")
    guard let g = gradients.baseAddress, gradients.count > 0 else { return 0 }
    let n = blasint(gradients.count)
    let norm = cblas_dsdot(n, g, 1, g, 1).squareRoot()
    guard norm.isFinite else { return Float(norm) }
    let coefficient = Double(maxNorm) / (norm + 1e-6)
    if coefficient < 1 {
        cblas_sscal(n, Float(coefficient), g, 1)
    }
    return Float(norm)
}
