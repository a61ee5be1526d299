// FiniteValues: whether every value of a buffer is finite — the check after each step that the
// weights did not diverge, and of fp16 sums — with CSIMD's kernel at this CPU's vector width, or a
// portable loop.
import CSIMD

/// Checks for values that are not finite (NaN or ±infinity).
public enum FiniteValues {
    /// True when every value is finite: x·0 is ±0 for finite x and NaN otherwise, summed.
    public static func all(_ values: UnsafeBufferPointer<Float>) -> Bool {
        all(values, width: VectorWidth.available)
    }

    /// `all` at a chosen width, nil for the portable loop (tests compare them).
    static func all(_ values: UnsafeBufferPointer<Float>, width: VectorWidth?) -> Bool {
        guard let base = values.baseAddress else { return true }
        switch width {
        case .avx512: return csimd_all_finite_avx512(base, values.count) != 0
        case .avx2: return csimd_all_finite_avx2(base, values.count) != 0
        case nil: break
        }
        // 16 lanes at a time: a scalar float sum would not vectorise.
        let raw = UnsafeRawPointer(base), wide = values.count / 16 * 16
        var lanes = SIMD16<Float>(repeating: 0)
        var i = 0
        while i < wide {
            lanes += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * 0
            i += 16
        }
        var sum = lanes.sum()
        while i < values.count {
            sum += base[i] * 0
            i += 1
        }
        return !sum.isNaN
    }
}
