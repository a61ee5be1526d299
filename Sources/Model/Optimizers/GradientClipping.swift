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
    let all = 0..<gradients.count
    let norm = squaredNorm(gradients, all).squareRoot()
    clipGradients(gradients, all, norm: norm, maxNorm: maxNorm)
    return Float(norm)
}

/// Σ g² over `range` of `gradients`, accumulated in Double (one rank's part of the global norm
/// when ranks each hold a shard).
public func squaredNorm(_ gradients: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>) -> Double {
    guard let g = gradients.baseAddress, !range.isEmpty else { return 0 }
    return cblas_dsdot(blasint(range.count), g + range.lowerBound, 1, g + range.lowerBound, 1)
}

/// Scales `range` of `gradients` by `maxNorm / (norm + 1e-6)` when that is below 1, where `norm`
/// is the global L2 norm; leaves them alone when `norm` is not finite. `maxNorm` must be positive.
public func clipGradients(_ gradients: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>, norm: Double, maxNorm: Float) {
    precondition(maxNorm > 0, "maxNorm must be positive, got \(maxNorm)")
    guard let g = gradients.baseAddress, !range.isEmpty, norm.isFinite else { return }
    let coefficient = Double(maxNorm) / (norm + 1e-6)
    if coefficient < 1 {
        cblas_sscal(blasint(range.count), Float(coefficient), g + range.lowerBound, 1)
    }
}
