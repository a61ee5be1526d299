// Helpers for the NumPy array tests: .npy file bytes built in Swift (any version, dtype string,
// order and shape), little-endian encodings, and stored zip archives as numpy.savez writes them.
import Foundation

/// The bytes of a .npy file: magic, version, header length, the padded dict literal, then `data`.
/// `header` replaces the dict literal when given.
func npyFile(descr: String, shape: [Int], data: [UInt8], fortran: Bool = false, major: UInt8 = 1,
             header: String? = nil) -> [UInt8] {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var dict = header ?? "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
    let prefix = major == 1 ? 10 : 12
    while (prefix + dict.utf8.count + 1) % 64 != 0 { dict += " " }
    dict += "\n"
    let length = dict.utf8.count
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
    bytes += major == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)] : littleEndian([UInt32(length)])
    return bytes + Array(dict.utf8) + data
}

/// Little-endian bytes of `values`.
func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value.littleEndian >> (8 * $0)) } }
}

/// Little-endian bytes of Float32 values.
func float32Bytes(_ values: [Float]) -> [UInt8] { littleEndian(values.map(\.bitPattern)) }

/// Little-endian bytes of Float64 values.
func float64Bytes(_ values: [Double]) -> [UInt8] { littleEndian(values.map(\.bitPattern)) }

/// CRC-32 (the zip and gzip checksum), bit by bit.
func zipCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// A zip archive of uncompressed members (the layout numpy.savez writes, without ZIP64 extras).
func storedZip(_ members: [(name: String, bytes: [UInt8])]) -> [UInt8] {
    zipArchive(members.map { ($0.name, $0.bytes, nil) })
}

/// A zip archive whose members are stored, or deflated when `deflated` holds their raw deflate data.
/// With `zip64`, the directory's sizes are 0xFFFFFFFF and the real ones sit in a ZIP64 extra field.
func zipArchive(_ members: [(name: String, bytes: [UInt8], deflated: [UInt8]?)], zip64: Bool = false) -> [UInt8] {
    var archive: [UInt8] = []
    var directory: [UInt8] = []
    for member in members {
        let name = Array(member.name.utf8)
        let data = member.deflated ?? member.bytes
        let method: UInt16 = member.deflated == nil ? 0 : 8
        let sizes = littleEndian([zipCRC32(member.bytes), UInt32(data.count), UInt32(member.bytes.count)])
        let offset = UInt32(archive.count)
        archive += littleEndian([UInt32(0x0403_4B50)]) + littleEndian([UInt16(20), 0, method, 0, 0]) + sizes
            + littleEndian([UInt16(name.count), 0]) + name + data
        let wide = littleEndian([zipCRC32(member.bytes), UInt32.max, UInt32.max])
        let extra = littleEndian([UInt16(1), 16]) + littleEndian([UInt64(member.bytes.count), UInt64(data.count)])
        directory += littleEndian([UInt32(0x0201_4B50)]) + littleEndian([UInt16(45), 45, 0, method, 0, 0]) + (zip64 ? wide : sizes)
            + littleEndian([UInt16(name.count), zip64 ? 20 : 0, 0, 0, 0]) + littleEndian([UInt32(0), offset]) + name
            + (zip64 ? extra : [])
    }
    let end = littleEndian([UInt32(0x0605_4B50)]) + littleEndian([UInt16(0), 0, UInt16(members.count), UInt16(members.count)])
        + littleEndian([UInt32(directory.count), UInt32(archive.count)]) + littleEndian([UInt16(0)])
    return archive + directory + end
}

extension TemporaryDirectory {
    /// Raw deflate data of `bytes`: /usr/bin/gzip's output without its 10-byte header and 8-byte trailer.
    func deflate(_ bytes: [UInt8]) throws -> [UInt8] {
        let gzipped = try TemporaryDirectory.read(writeGzipped("deflate-\(bytes.count).gz", bytes))
        return Array(gzipped[10..<(gzipped.count - 8)])
    }
}
