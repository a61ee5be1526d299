// BLASKernelChoiceTests: the OpenBLAS core chosen for a CPU and the core OpenBLAS reported, on
// real /proc/cpuinfo excerpts (an AVX-512 Xeon and an AMD EPYC), and the start-up plan.
import Testing
@testable import Model

struct BLASKernelChoiceTests {
    @Test func parsesCPUInfo() {
        let xeon = CPUInfo(cpuinfo: CPUInfoFixtures.xeonAVX512)
        #expect(xeon.vendor == "GenuineIntel" && xeon.family == 6 && xeon.model == 207)
        #expect(xeon.modelName == "Intel(R) Xeon(R) Processor")
        #expect(xeon.hasAVX512 && xeon.hasAVX2FMA)
        #expect(xeon.vectorExtensions.contains("avx512f") && xeon.vectorExtensions.first == "sse2")
        let epyc = CPUInfo(cpuinfo: CPUInfoFixtures.epycZen)
        #expect(epyc.vendor == "AuthenticAMD" && epyc.family == 23 && epyc.modelName.hasPrefix("AMD EPYC"))
        #expect(!epyc.hasAVX512 && epyc.hasAVX2FMA)
        #expect(CPUInfo(cpuinfo: "").flags.isEmpty)
    }

    @Test("a vector limit drops the extensions above it, so one machine runs another CPU kind's paths")
    func vectorLimit() throws {
        let xeon = CPUInfo(cpuinfo: CPUInfoFixtures.xeonAVX512)
        let avx2 = try #require(xeon.limited(to: "avx2"))
        #expect(!avx2.hasAVX512 && avx2.hasAVX2FMA && !avx2.flags.contains { $0.hasPrefix("avx512") })
        #expect(BLASKernelChoice.coreType(for: avx2, reportedCore: "Prescott") == "Haswell")
        let sse = try #require(xeon.limited(to: "sse"))
        #expect(!sse.hasAVX2FMA && sse.flags.contains("sse4_2") && !sse.flags.contains("avx"))
        #expect(BLASKernelChoice.coreType(for: sse, reportedCore: "Prescott") == nil)
        #expect(xeon.limited(to: "avx512") == nil && xeon.limited(to: "") == nil)
        // OpenBLAS's kernels follow the limit even where it recognised the CPU; the user's own choice still wins.
        let limit = [CPUInfo.vectorLimitVariable: "avx2"]
        #expect(BLASKernelSelection.plan(environment: limit, cpu: avx2, reportedCore: "SkylakeX") == .reexecute(coreType: "Haswell", marker: "Haswell SkylakeX"))
        #expect(BLASKernelSelection.plan(environment: [CPUInfo.vectorLimitVariable: "sse"], cpu: sse, reportedCore: "SkylakeX")
                == .reexecute(coreType: "Nehalem", marker: "Nehalem SkylakeX"))
        #expect(BLASKernelSelection.plan(environment: limit.merging(["OPENBLAS_CORETYPE": "Zen"]) { $1 }, cpu: avx2, reportedCore: "SkylakeX") == .keep)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let label: String, cpuinfo: String, reported: String, expected: String?
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "Xeon AVX-512, generic Prescott → SkylakeX", cpuinfo: CPUInfoFixtures.xeonAVX512, reported: "Prescott", expected: "SkylakeX"),
        Case(label: "Xeon AVX-512, recognised SkylakeX → keep", cpuinfo: CPUInfoFixtures.xeonAVX512, reported: "SkylakeX", expected: nil),
        Case(label: "Xeon AVX-512, Haswell (not generic) → keep", cpuinfo: CPUInfoFixtures.xeonAVX512, reported: "Haswell", expected: nil),
        Case(label: "Xeon AVX-512, Sandybridge → SkylakeX", cpuinfo: CPUInfoFixtures.xeonAVX512, reported: "Sandybridge", expected: "SkylakeX"),
        Case(label: "Xeon without AVX-512 flags → Haswell", cpuinfo: withoutAVX512(CPUInfoFixtures.xeonAVX512), reported: "Prescott", expected: "Haswell"),
        Case(label: "EPYC Zen, generic Prescott → Zen", cpuinfo: CPUInfoFixtures.epycZen, reported: "Prescott", expected: "Zen"),
        Case(label: "EPYC Zen, Barcelona → Zen", cpuinfo: CPUInfoFixtures.epycZen, reported: "Barcelona", expected: "Zen"),
        Case(label: "EPYC Zen, recognised Zen → keep", cpuinfo: CPUInfoFixtures.epycZen, reported: "Zen", expected: nil),
        Case(label: "no AVX2 → keep", cpuinfo: "vendor_id\t: GenuineIntel\nflags\t\t: sse sse2 avx", reported: "Prescott", expected: nil),
    ]

    @Test(arguments: cases) func choosesCore(_ c: Case) {
        #expect(BLASKernelChoice.coreType(for: CPUInfo(cpuinfo: c.cpuinfo), reportedCore: c.reported) == c.expected)
    }

    static func withoutAVX512(_ text: String) -> String {
        text.split(separator: "\n").map { line in
            line.hasPrefix("flags") ? line.split(separator: " ").filter { !$0.hasPrefix("avx512") }.joined(separator: " ") : String(line)
        }.joined(separator: "\n")
    }

    @Test func planReexecutesOnceAndTheUserWins() {
        let xeon = CPUInfo(cpuinfo: CPUInfoFixtures.xeonAVX512)
        let first = BLASKernelSelection.plan(environment: ["OMPI_COMM_WORLD_RANK": "1"], cpu: xeon, reportedCore: "Prescott")
        #expect(first == .reexecute(coreType: "SkylakeX", marker: "SkylakeX Prescott"))
        // The re-executed process sees its marker and never executes again, whatever it reports.
        let second = BLASKernelSelection.plan(environment: ["RINGTRAIN_BLAS_REEXEC": "SkylakeX Prescott", "OPENBLAS_CORETYPE": "SkylakeX"],
                                              cpu: xeon, reportedCore: "Prescott")
        #expect(second == .finish(requested: "SkylakeX", detected: "Prescott"))
        #expect(BLASKernelSelection.plan(environment: ["OPENBLAS_CORETYPE": "Haswell"], cpu: xeon, reportedCore: "Haswell") == .keep)
        #expect(BLASKernelSelection.plan(environment: [:], cpu: xeon, reportedCore: "SkylakeX") == .keep)
        let note = BLASKernelSelection.note(requested: "SkylakeX", detected: "Prescott", running: "SkylakeX", cpu: xeon)
        #expect(note.contains("SkylakeX") && note.contains("Prescott"))
    }

    /// An AMD CPU with AVX-512 (Zen 4 and later) gets the AVX-512 kernels when OpenBLAS does not
    /// recognise it, as an Intel one does; one without gets Zen's.
    @Test func amdWithAVX512GetsTheAVX512Kernels() {
        let zen4 = CPUInfo(cpuinfo: CPUInfoFixtures.epycZen.replacingOccurrences(
            of: " avx2 ", with: " avx2 avx512f avx512bw avx512dq avx512vl "))
        #expect(zen4.hasAVX512 && zen4.vendor == "AuthenticAMD")
        #expect(BLASKernelChoice.coreType(for: zen4, reportedCore: "Prescott") == "SkylakeX")
        #expect(BLASKernelChoice.coreType(for: CPUInfo(cpuinfo: CPUInfoFixtures.epycZen), reportedCore: "Prescott") == "Zen")
    }

    /// A user's own choice is kept, and noted when the kernels OpenBLAS runs leave the CPU's
    /// extensions unused — without AVX-512 on a CPU with it, generic ones on a CPU with AVX2 and FMA —
    /// naming the core ringtrain itself would pick; not otherwise.
    @Test func aUserChoiceThatLeavesExtensionsUnusedIsNoted() throws {
        let xeon = CPUInfo(cpuinfo: CPUInfoFixtures.xeonAVX512), epyc = CPUInfo(cpuinfo: CPUInfoFixtures.epycZen)
        func note(_ core: String?, _ cpu: CPUInfo, running: String? = nil, marker: Bool = false) -> String? {
            var environment: [String: String] = [:]
            if let core { environment["OPENBLAS_CORETYPE"] = core }
            if marker { environment["RINGTRAIN_BLAS_REEXEC"] = "SkylakeX Prescott" }
            return BLASKernelSelection.userChoiceNote(environment: environment, cpu: cpu, runningCore: running ?? core ?? "SkylakeX")
        }
        let haswellOnXeon = try #require(note("Haswell", xeon))
        #expect(haswellOnXeon.contains("OPENBLAS_CORETYPE=Haswell") && haswellOnXeon.contains("AVX-512")
                && haswellOnXeon.contains("unset") && haswellOnXeon.hasSuffix("SkylakeX"), "\(haswellOnXeon)")
        let prescottOnEPYC = try #require(note("Prescott", epyc))
        #expect(prescottOnEPYC.contains("AVX2") && prescottOnEPYC.hasSuffix("Zen"), "\(prescottOnEPYC)")
        #expect(note("Prescott", xeon)?.contains("AVX-512") == true)
        // What OpenBLAS runs decides, not the variable's text (a name it ignores, a build without DYNAMIC_ARCH).
        #expect(note("haswel", xeon, running: "Haswell")?.contains("its Haswell kernels") == true)
        for quiet in [note("SkylakeX", xeon), note("cooperlake", xeon), note("Zen", epyc), note("Haswell", epyc), note(nil, xeon),
                      note("", xeon), note("SkylakeX", xeon, marker: true), note("Haswell", try #require(xeon.limited(to: "avx2"))),
                      note("Haswell", xeon, running: "SkylakeX"), note("Prescott", try #require(xeon.limited(to: "sse")))] {
            #expect(quiet == nil)
        }
    }
}
