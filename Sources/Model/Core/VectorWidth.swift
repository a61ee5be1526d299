// VectorWidth: the vector widths ringtrain's own C kernels (CSIMD) are compiled for, and the widest
// this CPU runs — chosen once from CPUInfo, so RINGTRAIN_VECTOR_LIMIT narrows it like the rest.

/// A width of CSIMD's kernels: AVX-512 (16 floats a vector) or AVX2 with FMA (8).
enum VectorWidth: Sendable, CaseIterable, CustomStringConvertible {
    case avx512, avx2

    /// Floats per vector.
    var lanes: Int { self == .avx512 ? 16 : 8 }

    var description: String { self == .avx512 ? "AVX-512" : "AVX2+FMA" }

    /// Whether `cpu` has the extensions this width's kernels use.
    func runs(on cpu: CPUInfo) -> Bool { self == .avx512 ? cpu.hasAVX512 : cpu.hasAVX2FMA }

    /// The widest width this CPU runs (nil: neither; the scalar loops run instead).
    static let available: VectorWidth? = runnable.first

    /// Every width this CPU runs, widest first (tests compare each with the scalar loops).
    static var runnable: [VectorWidth] { allCases.filter { $0.runs(on: CPUInfo.current) } }
}
