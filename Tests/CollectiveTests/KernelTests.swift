// KernelTests: the AVX reduction loops give exactly the scalar loops' bits, tails included.
import Testing
import CSIMD
import Hardware
@testable import Collective

@Suite struct KernelTests {
    /// Only where the CPU has AVX; elsewhere the scalar loops are the only path (and every
    /// collective test exercises them).
    @Test(.enabled(if: CPUInfo.current.hasAVX, "this CPU has no AVX"), arguments: [0, 1, 7, 15, 16, 17, 31, 32, 33, 1000, 65537])
    func avxLoopsMatchScalarLoops(count: Int) throws {
        let dst = (0..<count).map { randomValue(rank: 0, index: $0) * 1e3 }
        let src = (0..<count).map { randomValue(rank: 1, index: $0) }
        var scalarSum = dst, vectorSum = dst, scalarScaled = dst, vectorScaled = dst
        for i in 0..<count {
            scalarSum[i] += src[i]
            scalarScaled[i] = (scalarScaled[i] + src[i]) * (1 / 3)
        }
        vectorSum.withUnsafeMutableBufferPointer { d in csimd_accumulate(d.baseAddress, src, count) }
        vectorScaled.withUnsafeMutableBufferPointer { d in csimd_accumulate_scaled(d.baseAddress, src, count, 1 / 3) }
        #expect(vectorSum.map(\.bitPattern) == scalarSum.map(\.bitPattern))
        #expect(vectorScaled.map(\.bitPattern) == scalarScaled.map(\.bitPattern))
    }
}
