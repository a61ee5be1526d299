// CounterRNG: a counter-based random number generator (SplitMix64 over a keyed counter).
// Every draw is a pure function of (key, index), so shuffles and masks replay exactly on resume.
import Foundation

/// A deterministic random stream whose output depends only on its key and position.
///
/// Build one from the run's seed and the purpose of the draws, e.g.
/// `CounterRNG(seed: 42, stream: .shuffle, 3)` for epoch 3's permutation. Nothing hidden
/// needs saving: the same arguments always give the same sequence.
public struct CounterRNG: RandomNumberGenerator, Sendable {
    /// What a stream is used for; part of the key so unrelated draws never collide.
    public enum Purpose: UInt64, Sendable {
        case initialization = 1, shuffle = 2, dropout = 3, split = 4, search = 5, test = 6
        /// The batches of a run budgeted in steps (`StepSampler`).
        case sampling = 7
        /// Next-token draws of text generation (`ringtrain sample`).
        case generation = 8
        /// Population-based training's exploit and explore decisions.
        case population = 9
    }

    private let key: UInt64
    /// Index of the next 64-bit draw.
    public private(set) var counter: UInt64 = 0

    /// Creates a stream keyed by `seed`, a purpose and any number of further coordinates
    /// (epoch, step, rank, layer index ...).
    public init(seed: UInt64, stream purpose: Purpose, _ coordinates: UInt64...) {
        var k = CounterRNG.mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        k = CounterRNG.mix(k ^ (purpose.rawValue &* 0xD1B5_4A32_D192_ED03))
        for c in coordinates { k = CounterRNG.mix(k ^ CounterRNG.mix(c &+ 0x632B_E59B_D9B4_E019)) }
        key = k
    }

    /// SplitMix64's finaliser: a bijective mix of 64 bits.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The 64-bit value at position `index` of this stream (does not advance it).
    @inline(__always)
    public func value(at index: UInt64) -> UInt64 {
        CounterRNG.mix(key &+ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15)
    }

    public mutating func next() -> UInt64 {
        defer { counter &+= 1 }
        return value(at: counter)
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal draw (Box–Muller).
    public mutating func nextNormal() -> Double {
        let u1 = max(nextDouble(), Double.leastNormalMagnitude)
        let u2 = nextDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A uniformly random permutation of `0..<count` (Fisher–Yates).
    public mutating func permutation(_ count: Int) -> [Int] {
        var result = Array(0..<count)
        if count < 2 { return result }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            result.swapAt(i, j)
        }
        return result
    }
}
