// CPUInfo: what /proc/cpuinfo says about this CPU (vendor, family, model, name, feature flags),
// parsed from text so machines other than this one can be described in tests. The one reader of
// /proc/cpuinfo: Model's kernels, Collective's loops and the BLAS kernel choice all ask it.
import Foundation

/// One processor's entry of /proc/cpuinfo.
public struct CPUInfo: Sendable, Equatable {
    /// `vendor_id`, e.g. `GenuineIntel` or `AuthenticAMD` (empty when absent).
    public var vendor: String
    /// `cpu family` (0 when absent).
    public var family: Int
    /// `model` (0 when absent).
    public var model: Int
    /// `model name`, e.g. `Intel(R) Xeon(R) Processor` (empty when absent).
    public var modelName: String
    /// The `flags` line as a set.
    public var flags: Set<String>

    /// Parses the first processor of a /proc/cpuinfo text; missing fields stay empty or 0.
    public init(cpuinfo text: String) {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty && !fields.isEmpty { break }   // end of processor 0
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        vendor = fields["vendor_id"] ?? ""
        family = Int(fields["cpu family"] ?? "") ?? 0
        model = Int(fields["model"] ?? "") ?? 0
        modelName = fields["model name"] ?? ""
        flags = Set((fields["flags"] ?? "").split(separator: " ").map(String.init))
    }

    /// The environment variable that caps the vector extensions ringtrain uses (`avx2` or `sse`),
    /// its own kernels' and OpenBLAS's alike, so one machine can run another CPU kind's paths.
    public static let vectorLimitVariable = "RINGTRAIN_VECTOR_LIMIT"

    /// This machine's CPU (empty fields where /proc/cpuinfo is unreadable), less the extensions
    /// above `RINGTRAIN_VECTOR_LIMIT` when that is set.
    public static let current: CPUInfo = {
        var cpu = CPUInfo(cpuinfo: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
        if let limit = ProcessInfo.processInfo.environment[vectorLimitVariable], !limit.isEmpty {
            if let capped = cpu.limited(to: limit) {
                cpu = capped
            } else {
                FileHandle.standardError.writeText("warning: RINGTRAIN_VECTOR_LIMIT=\(limit) is not one of avx2, sse; ignored\n")
            }
        }
        return cpu
    }()

    /// This CPU as if it had no extension above `limit`: `avx2` drops every AVX-512 flag (the
    /// kernels an AMD Zen 3 runs), `sse` also AVX, AVX2, FMA and F16C. Lets one machine test the
    /// paths of another CPU kind; nil for any other `limit`.
    public func limited(to limit: String) -> CPUInfo? {
        var copy = self
        switch limit {
        case "avx2": copy.flags = flags.filter { !$0.hasPrefix("avx512") && $0 != "amx_tile" }
        case "sse": copy.flags = flags.filter { !$0.hasPrefix("avx") && !["fma", "f16c", "amx_tile"].contains($0) }
        default: return nil
        }
        return copy
    }

    /// The CPU has AVX (256-bit float vectors).
    public var hasAVX: Bool { flags.contains("avx") }
    /// The CPU has AVX2 (256-bit integer vectors and gathers).
    public var hasAVX2: Bool { flags.contains("avx2") }
    /// The CPU has F16C (hardware fp16 conversion, which works on AVX registers) and AVX.
    public var hasF16C: Bool { hasAVX && flags.contains("f16c") }
    /// The CPU has every AVX-512 subset that OpenBLAS's SkylakeX kernels use (F, BW, DQ, VL).
    public var hasAVX512: Bool { ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) }
    /// The CPU has AVX2 and FMA (what OpenBLAS's Haswell and Zen kernels use).
    public var hasAVX2FMA: Bool { flags.contains("avx2") && flags.contains("fma") }

    /// The vector extensions present, widest last, e.g. `sse4_2 avx avx2 fma avx512f avx512bw ...`.
    public var vectorExtensions: [String] {
        ["sse2", "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni",
         "avx512_bf16", "avx512_fp16", "amx_tile", "neon", "asimd", "sve"].filter(flags.contains)
    }
}
