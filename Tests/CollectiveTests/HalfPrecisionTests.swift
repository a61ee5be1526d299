// HalfPrecisionTests: the F16C conversions agree bit for bit with Swift's software Float16 (both
// round to nearest even), so ranks on different CPUs still end with identical parameters.
import CSIMD
import Testing
@testable import Collective

@Test("F16C encode/decode/accumulate match the software conversions",
      .enabled(if: HalfPrecision.hardware, "this CPU has no F16C; only the software path runs here"))
func hardwareHalfMatchesSoftware() {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> Double {   // xorshift64*, uniform in (-1, 1)
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return Double((state &* 0x2545_F491_4F6C_DD1D) >> 11) / Double(1 << 52) - 1
    }
    var values: [Float] = [0, -0, 1, -1, 65504, 65520, 70000, -70000, 1e-8, 6e-8, 5.96e-8, 2.98e-8, .infinity, -.infinity,
                           1.000_488_3, 1.000_976_6, 1.001_464_8, 0.1, 0.2, 0.3]
    for _ in 0..<10_000 { values.append(Float(next() * 300)) }
    for _ in 0..<1_000 { values.append(Float(next() * 1e-4)) }
    var hardware = [UInt16](repeating: 0, count: values.count)
    chalf_encode(values, &hardware, values.count)
    let software = values.map { Float16($0).bitPattern }
    #expect(hardware == software)

    var decoded = [Float](repeating: 0, count: values.count)
    chalf_decode(software, &decoded, values.count)
    #expect(decoded == software.map { Float(Float16(bitPattern: $0)) })

    var sums = values
    chalf_accumulate(&sums, software, values.count, 0.5)
    let expected = zip(values, software).map { ($0 + Float(Float16(bitPattern: $1))) * 0.5 }
    #expect(zip(sums, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
}
