// Kernels: the element-wise loops of the collectives (accumulate, scale), on raw pointers.
// The reductions run 8-wide AVX loops (CSIMD) where the CPU has AVX, and plain counted loops
// (which the optimiser vectorises for SSE) elsewhere; both give the same bits. No allocation.
import CSIMD
import Hardware

/// Element-wise loops used by the ring. All pointers must not alias unless stated.
enum Kernels {
    /// Whether this CPU runs the AVX loops (checked once).
    static let avx = CPUInfo.current.hasAVX

    /// `dst[i] += src[i]` for `i < count`.
    @inline(__always)
    static func accumulate(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
        if avx { csimd_accumulate(dst, src, count); return }
        for i in 0..<count { dst[i] += src[i] }
    }

    /// `dst[i] = (dst[i] + src[i]) * factor` for `i < count`.
    @inline(__always)
    static func accumulateScaled(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>,
                                 count: Int, factor: Float) {
        if avx { csimd_accumulate_scaled(dst, src, count, factor); return }
        for i in 0..<count { dst[i] = (dst[i] + src[i]) * factor }
    }

    /// `buffer[i] *= factor` for every element.
    static func scale(_ buffer: UnsafeMutableBufferPointer<Float>, by factor: Float) {
        guard let p = buffer.baseAddress else { return }
        scale(p, count: buffer.count, by: factor)
    }

    /// `p[i] *= factor` for `i < count`.
    @inline(__always)
    static func scale(_ p: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        for i in 0..<count { p[i] *= factor }
    }
}
