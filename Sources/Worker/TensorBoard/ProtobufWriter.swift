// ProtobufWriter: the few protocol-buffer encodings TensorBoard's event messages need — varints,
// 64- and 32-bit fixed numbers, and length-delimited fields (strings, bytes, nested messages).

/// Appends protobuf fields to a byte buffer, in the order written.
public struct ProtobufWriter {
    /// The encoded message so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    private enum WireType: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    private mutating func key(_ field: Int, _ type: WireType) { varint(UInt64(field) << 3 | type.rawValue) }

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// An int64 or enum field (negative values take ten bytes, as protobuf's int64 does).
    public mutating func int64(_ field: Int, _ value: Int64) {
        key(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    /// A double field, little-endian.
    public mutating func double(_ field: Int, _ value: Double) {
        key(field, .fixed64)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
    }

    /// A float field, little-endian.
    public mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
    }

    /// A bytes field, or an embedded message already encoded.
    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes += value
    }

    /// A string field (UTF-8).
    public mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }
}
