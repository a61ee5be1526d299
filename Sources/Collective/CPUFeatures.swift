// CPUFeatures: which vector instructions this CPU has, read once from /proc/cpuinfo, so the
// collectives' loops can take their AVX / F16C paths only where the hardware runs them.
import Foundation

/// Instruction-set extensions the collectives' kernels may use.
enum CPUFeatures {
    /// The `flags` line of /proc/cpuinfo as a set (empty when unreadable or not x86-64).
    private static let flags: Set<Substring> = {
        #if arch(x86_64)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " "))
        #else
        return []
        #endif
    }()

    /// 256-bit float vectors (AVX).
    static let avx = flags.contains("avx")
    /// Hardware fp16 conversion (F16C, which works on AVX registers).
    static let f16c = avx && flags.contains("f16c")
}
