// CRC32C: the Castagnoli CRC-32 (polynomial 0x1EDC6F41, reflected) that TensorBoard's record files
// are framed with, and its "masked" form; zlib has only the IEEE CRC-32, so it is computed here.

/// CRC-32C over bytes, table-driven.
public enum CRC32C {
    /// One table entry per byte value, for the reflected polynomial 0x82F63B78.
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC-32C of `bytes` (`"123456789"` gives 0xE3069283).
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The masked CRC TensorFlow's record format stores: rotated right by 15 bits plus a constant,
    /// so a CRC of data that itself holds CRCs is not a CRC of plain data.
    public static func masked(_ crc: UInt32) -> UInt32 { ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8 }
}
