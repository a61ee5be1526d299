// Tests for NpzReader and its zip parsing: stored, deflated and ZIP64-sized members, and each
// damaged archive (CRC, method, encryption, sizes deflate cannot produce, truncation) as an error.
import Model
import Testing

@Suite("NumPy .npz reader")
struct NpzReaderTests {
    static let x = npyFile(descr: "<f4", shape: [2, 2], data: float32Bytes([1, 2, 3, 4]))
    static let y = npyFile(descr: "|u1", shape: [2], data: [1, 0])

    static func read(_ archive: [UInt8], _ name: String = "x") throws -> NumpyArray {
        let dir = try TemporaryDirectory()
        var reader = NpzReader()
        return try reader.read(.init(path: try dir.write("a.npz", archive), name: name))
    }

    @Test("stored, deflated and ZIP64-sized members read the same", arguments: [false, true])
    func members(zip64: Bool) throws {
        let dir = try TemporaryDirectory()
        for deflate in [false, true] {
            let archive = zipArchive([("x.npy", Self.x, deflate ? try dir.deflate(Self.x) : nil),
                                      ("y.npy", Self.y, deflate ? try dir.deflate(Self.y) : nil)], zip64: zip64)
            #expect(try Self.read(archive).values == [1, 2, 3, 4])
            #expect(try Self.read(archive, "y").values == [1, 0])
        }
    }

    @Test("a ZIP64 end record locates the central directory")
    func zip64EndRecord() throws {
        let plain = storedZip([("x.npy", Self.x), ("y.npy", Self.y)])
        let end = plain.count - 22
        let size = plain[(end + 12)..<(end + 16)], offset = plain[(end + 16)..<(end + 20)]
        let record = littleEndian([UInt32(0x0606_4B50)]) + littleEndian([UInt64(44)]) + littleEndian([UInt16(45), 45])
            + littleEndian([UInt32(0), 0]) + littleEndian([UInt64(2), 2]) + size + [0, 0, 0, 0] + offset + [0, 0, 0, 0]
        let locator = littleEndian([UInt32(0x0706_4B50), 0]) + littleEndian([UInt64(end)]) + littleEndian([UInt32(1)])
        let wideEnd = littleEndian([UInt32(0x0605_4B50)]) + littleEndian([UInt16(0), 0, 0xFFFF, 0xFFFF])
            + littleEndian([UInt32.max, UInt32.max]) + littleEndian([UInt16(0)])
        let archive = Array(plain[..<end]) + record + locator + wideEnd
        #expect(try Self.read(archive, "y").values == [1, 0])
        let lost = Array(plain[..<end]) + record + wideEnd      // no locator
        let error = #expect(throws: DatasetError.self) { _ = try Self.read(lost) }
        #expect(error?.message.contains("ZIP64 locator is missing") == true)
    }

    /// `archive` (one member named x.npy) with the bytes at `field` of its directory entry replaced.
    static func patchDirectory(_ archive: [UInt8], field: Int, _ value: [UInt8]) -> [UInt8] {
        var out = archive
        let directory = out.count - 22 - (46 + 5)          // one member named x.npy
        out.replaceSubrange((directory + field)..<(directory + field + value.count), with: value)
        return out
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var name: String
        var archive: [UInt8]
        var message: String
        var testDescription: String { name }
    }

    static let stored = storedZip([("x.npy", x)])
    static let bad: [Bad] = [
        Bad(name: "empty", archive: [], message: "file is empty"),
        Bad(name: "not a zip", archive: x, message: "no zip end-of-central-directory record"),
        Bad(name: "truncated", archive: Array(stored.dropLast(30)), message: "no zip end-of-central-directory record"),
        Bad(name: "CRC", archive: patchDirectory(stored, field: 16, [0, 0, 0, 0]), message: "fails its CRC-32 check"),
        Bad(name: "method", archive: patchDirectory(stored, field: 10, [12, 0]), message: "compression method 12"),
        Bad(name: "encrypted", archive: patchDirectory(stored, field: 8, [1, 0]), message: "is encrypted"),
        Bad(name: "stored sizes differ", archive: patchDirectory(stored, field: 24, [0xFF, 0xFF, 0, 0]), message: "sizes differ"),
        Bad(name: "size past the end", archive: patchDirectory(stored, field: 20, [0xFF, 0xFF, 0xFF, 0x7F]), message: "run past the end"),
        Bad(name: "local header offset", archive: patchDirectory(stored, field: 42, [9, 0, 0, 0]), message: "local header"),
        Bad(name: "bomb claim", archive: patchDirectory(patchDirectory(stored, field: 10, [8, 0]), field: 24, [0, 0, 0, 0x7F]),
            message: "more than deflate can produce"),
        Bad(name: "ZIP64 without extra", archive: patchDirectory(stored, field: 24, [0xFF, 0xFF, 0xFF, 0xFF]),
            message: "without a ZIP64 extra field"),
        Bad(name: "lying count", archive: {
            var a = stored
            a.replaceSubrange((a.count - 12)..<(a.count - 10), with: [0xFF, 0x7F])
            return a
        }(), message: "cannot fit"),
    ]

    @Test("damaged archives are DatasetErrors naming the archive", arguments: bad)
    func damaged(_ example: Bad) {
        let error = #expect(throws: DatasetError.self) { _ = try Self.read(example.archive) }
        #expect(error?.file.hasSuffix("a.npz") == true)
        #expect(error?.message.contains(example.message) == true, "\(error?.description ?? "no error")")
    }

    @Test("a damaged deflate stream is an error")
    func badDeflate() throws {
        let dir = try TemporaryDirectory()
        var deflated = try dir.deflate(Self.x)
        deflated[deflated.count / 2] ^= 0xFF
        deflated.removeLast(2)
        let error = #expect(throws: DatasetError.self) { _ = try Self.read(zipArchive([("x.npy", Self.x, deflated)])) }
        #expect(error?.message.contains("member \"x.npy\"") == true, "\(error?.description ?? "")")
    }
}
