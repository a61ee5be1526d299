// BLASKernelChoice: which OpenBLAS kernels (OPENBLAS_CORETYPE) suit this CPU when OpenBLAS
// itself fell back to a generic core — a pure function of the CPU and the core OpenBLAS reported.

/// The OpenBLAS core a process should ask for, and why.
public enum BLASKernelChoice {
    /// Cores OpenBLAS falls back to for CPUs it does not recognise, or older than any AVX2
    /// kernel; a CPU whose features allow better gets a better core instead. Lower-cased.
    static let genericCores: Set<String> = [
        "prescott", "katmai", "coppermine", "northwood", "banias", "core2", "penryn", "dunnington", "nehalem",
        "atom", "sandybridge", "barcelona", "bobcat", "bulldozer", "piledriver", "steamroller", "excavator",
        "opteron", "opteron_sse3", "athlon", "generic", "unknown",
    ]

    /// The `OPENBLAS_CORETYPE` value to run with, or nil to keep what OpenBLAS chose: SkylakeX
    /// for AVX-512 F/BW/DQ/VL (an Intel Xeon, or an AMD Zen 4 or later), Zen for other AMD CPUs
    /// with AVX2 and FMA, Haswell for other CPUs with AVX2 and FMA — only when `reportedCore`
    /// (from `openblas_get_corename()`) is generic.
    public static func coreType(for cpu: CPUInfo, reportedCore: String) -> String? {
        guard genericCores.contains(reportedCore.lowercased()) else { return nil }
        return bestCore(for: cpu)
    }

    /// The core whose kernels use the most of `cpu`'s vector extensions (nil: none has AVX2+FMA).
    static func bestCore(for cpu: CPUInfo) -> String? {
        if cpu.hasAVX512 { return "SkylakeX" }
        guard cpu.hasAVX2FMA else { return nil }
        return cpu.vendor == "AuthenticAMD" || cpu.vendor == "HygonGenuine" ? "Zen" : "Haswell"
    }
}
