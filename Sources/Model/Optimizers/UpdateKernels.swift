// UpdateKernels: CSIMD's Adam/AdamW update (without L1) at a chosen vector width — the one place the
// optimizer's call turns into the _avx512 or _avx2 C function.
import CSIMD

extension VectorWidth {
    /// The terms of one Adam step that are the same for every element.
    struct AdamTerms {
        var l2: Float, beta1: Float, oneMinusBeta1: Float, beta2: Float, oneMinusBeta2: Float
        var decay: Float, stepSize: Float, inverseSqrtCorrection2: Float, epsilon: Float
    }

    /// Adam's update without the L1 term over `count` elements, bit for bit as the scalar loop.
    func adam(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
              _ v: UnsafeMutablePointer<Float>, count: Int, _ t: AdamTerms) {
        switch self {
        case .avx512:
            csimd_adam_avx512(p, g, m, v, count, t.l2, t.beta1, t.oneMinusBeta1, t.beta2, t.oneMinusBeta2, t.decay, t.stepSize,
                              t.inverseSqrtCorrection2, t.epsilon)
        case .avx2:
            csimd_adam_avx2(p, g, m, v, count, t.l2, t.beta1, t.oneMinusBeta1, t.beta2, t.oneMinusBeta2, t.decay, t.stepSize,
                            t.inverseSqrtCorrection2, t.epsilon)
        }
    }
}
