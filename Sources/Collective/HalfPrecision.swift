// HalfPrecision: fp16 wire format for the optional compressed all-reduce.
// Values travel as IEEE binary16; every sum is accumulated in fp32.

/// Conversions and accumulation between fp32 buffers and fp16 wire buffers (stored as UInt16 bits).
enum HalfPrecision {
    /// `dst[i] = fp16(src[i])` (round to nearest even; out-of-range values become ±inf).
    @inline(__always)
    static func encode(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { dst[i] = Float16(src[i]).bitPattern }
    }

    /// `dst[i] = Float(src[i])`.
    @inline(__always)
    static func decode(_ src: UnsafePointer<UInt16>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = Float(Float16(bitPattern: src[i])) }
    }

    /// `dst[i] += Float(src[i])`, then `dst[i] *= factor` when `factor` is not 1.
    @inline(__always)
    static func accumulate(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<UInt16>,
                           count: Int, factor: Float) {
        if factor == 1 {
            for i in 0..<count { dst[i] += Float(Float16(bitPattern: src[i])) }
        } else {
            for i in 0..<count { dst[i] = (dst[i] + Float(Float16(bitPattern: src[i]))) * factor }
        }
    }

    /// Rounds `p[i]` to the nearest fp16 value in place (keeps every rank's result identical to
    /// what the others receive).
    @inline(__always)
    static func round(_ p: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { p[i] = Float(Float16(p[i])) }
    }
}
