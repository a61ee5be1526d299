// FNV1a: the 64-bit FNV-1a hash, a short stable fingerprint (config hashes, sweep identity,
// parameter checksums that must agree across ranks); not for anything an attacker chooses.
import Foundation

/// An FNV-1a (64-bit) hash being computed.
public struct FNV1a: Sendable {
    /// The hash so far (the FNV offset basis when nothing was added).
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    /// Adds one byte (or, for word-wise checksums, one whole word).
    public mutating func add(word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01B3
    }

    /// Adds bytes one at a time.
    public mutating func add<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes { add(word: UInt64(byte)) }
    }

    /// The hash in lower-case hex, without leading zeros.
    public var hex: String { String(value, radix: 16) }

    /// The hex FNV-1a of a text's UTF-8 bytes.
    public static func hex(_ text: String) -> String {
        var hash = FNV1a()
        hash.add(bytes: text.utf8)
        return hash.hex
    }
}
