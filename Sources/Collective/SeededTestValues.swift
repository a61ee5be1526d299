// SeededTestValues: reproducible data for checking collectives — every rank computes any rank's
// values from (seed, rank, index) alone, so a result can be checked without sending the inputs.
import Foundation

/// Deterministic test data for collective checks (the `collective-check` command and the tests).
public enum SeededTestValues {
    /// A value in [-1, 1) from (`seed`, `rank`, `index`) by a SplitMix64 finaliser (default seed 1).
    public static func value(rank: Int, index: Int, seed: UInt64 = 1) -> Float {
        var z = seed &+ UInt64(truncatingIfNeeded: rank) &* 0x9E37_79B9_7F4A_7C15
            &+ UInt64(truncatingIfNeeded: index) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 23) - 1
    }

    /// A small whole number in [-50, 50] from (`rank`, `index`): sums of a few of them are exact
    /// in Float whatever the order, so ring and MPI results must match bit for bit.
    public static func integer(rank: Int, index: Int) -> Float {
        Float((index &* 7 &+ rank &* 13) % 101 - 50)
    }
}
