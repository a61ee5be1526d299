// ZipArchive: reads the members of a zip file (what numpy.savez writes): the central directory,
// ZIP64 included, then stored or deflated member data, every offset and size bounds-checked.
import CZlib

/// A zip archive held in memory, with its central directory parsed.
struct ZipArchive {
    /// One member as listed in the central directory.
    struct Entry {
        var name: String
        var method: Int
        var flags: Int
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var localHeader: Int
    }

    let bytes: [UInt8]
    let file: String
    /// The members in directory order.
    private(set) var entries: [Entry] = []

    /// Parses the central directory of `bytes`; `file` names the archive in errors.
    init(bytes: [UInt8], file: String) throws {
        self.bytes = bytes
        self.file = file
        let hint = "a .npz file is a zip archive as numpy.savez or numpy.savez_compressed writes it"
        guard !bytes.isEmpty else { throw DatasetError(file: file, message: "file is empty", hint: hint) }
        // The end-of-central-directory record is 22 bytes plus a comment of up to 65535 bytes.
        var end = -1
        var at = bytes.count - 22
        while at >= max(0, bytes.count - 22 - 65535) {
            if u32(at) == 0x0605_4B50 { end = at; break }
            at -= 1
        }
        guard end >= 0 else {
            throw DatasetError(file: file, message: "no zip end-of-central-directory record: not a zip archive, or truncated", hint: hint)
        }
        var count = u16(end + 10)
        var directorySize = Int(u32(end + 12))
        var directory = Int(u32(end + 16))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directory == 0xFFFF_FFFF {
            // ZIP64: a locator just before the record points at the ZIP64 end record.
            let locator = end - 20
            guard locator >= 0, u32(locator) == 0x0706_4B50 else {
                throw fail(end, "ZIP64 sizes are announced but the ZIP64 locator is missing")
            }
            let record = u64(locator + 8)
            guard record >= 0, record <= bytes.count - 56, u32(record) == 0x0606_4B50 else {
                throw fail(locator, "the ZIP64 end record offset \(record) is not inside the file")
            }
            count = u64(record + 32)
            directorySize = u64(record + 40)
            directory = u64(record + 48)
        }
        guard directory >= 0, directorySize >= 0, directory <= bytes.count, directorySize <= bytes.count - directory else {
            throw fail(end, "the central directory (offset \(directory), \(directorySize) bytes) is not inside the file")
        }
        // Each directory entry takes at least 46 bytes, which bounds a lying count.
        guard count >= 0, count <= directorySize / 46 else {
            throw fail(end, "\(count) members cannot fit in a \(directorySize)-byte central directory")
        }
        at = directory
        let limit = directory + directorySize
        for _ in 0..<count {
            guard at + 46 <= limit, u32(at) == 0x0201_4B50 else {
                throw fail(at, "central directory entry is damaged")
            }
            let nameLength = u16(at + 28), extraLength = u16(at + 30), commentLength = u16(at + 32)
            let nameEnd = at + 46 + nameLength, extraEnd = nameEnd + extraLength
            guard extraEnd + commentLength <= limit else { throw fail(at, "central directory entry runs past the directory") }
            var entry = Entry(name: String(decoding: bytes[(at + 46)..<nameEnd], as: UTF8.self), method: u16(at + 10),
                              flags: u16(at + 8), crc: u32(at + 16), compressedSize: Int(u32(at + 20)),
                              size: Int(u32(at + 24)), localHeader: Int(u32(at + 42)))
            try readZip64(&entry, extra: nameEnd..<extraEnd)
            entries.append(entry)
            at = extraEnd + commentLength
        }
    }

    /// Replaces 0xFFFFFFFF sizes and offsets with the values of the ZIP64 extra field, in its order.
    private func readZip64(_ entry: inout Entry, extra: Range<Int>) throws {
        let wide = 0xFFFF_FFFF
        guard entry.size == wide || entry.compressedSize == wide || entry.localHeader == wide else { return }
        var at = extra.lowerBound
        while at + 4 <= extra.upperBound {
            let id = u16(at), length = u16(at + 2)
            guard at + 4 + length <= extra.upperBound else { break }
            if id == 1 {
                var field = at + 4
                func next() throws -> Int {
                    guard field + 8 <= at + 4 + length else { throw fail(at, "ZIP64 extra field of \"\(entry.name)\" is too short") }
                    defer { field += 8 }
                    return u64(field)
                }
                if entry.size == wide { entry.size = try next() }
                if entry.compressedSize == wide { entry.compressedSize = try next() }
                if entry.localHeader == wide { entry.localHeader = try next() }
                return
            }
            at += 4 + length
        }
        throw fail(extra.lowerBound, "member \"\(entry.name)\" announces ZIP64 sizes without a ZIP64 extra field")
    }

    /// The uncompressed bytes of `entry`, checked against its CRC-32.
    func contents(of entry: Entry) throws -> [UInt8] {
        let name = "member \"\(entry.name)\""
        guard entry.flags & 1 == 0 else { throw DatasetError(file: file, message: "\(name) is encrypted", hint: "save the archive without encryption") }
        let header = entry.localHeader
        guard header >= 0, header <= bytes.count - 30, u32(header) == 0x0403_4B50 else {
            throw fail(header, "\(name): its local header (offset \(header)) is missing or damaged")
        }
        let start = header + 30 + u16(header + 26) + u16(header + 28)
        guard entry.compressedSize >= 0, entry.size >= 0, start <= bytes.count, entry.compressedSize <= bytes.count - start else {
            throw fail(header, "\(name): its \(entry.compressedSize) data bytes run past the end of the file",
                       "the archive is truncated; save it again")
        }
        let data = bytes[start..<(start + entry.compressedSize)]
        let output: [UInt8]
        switch entry.method {
        case 0:
            guard entry.size == entry.compressedSize else {
                throw fail(header, "\(name) is stored uncompressed but its sizes differ (\(entry.compressedSize) and \(entry.size))")
            }
            output = Array(data)
        case 8:
            // Deflate expands at most about 1032:1, which bounds what a lying size can make us reserve.
            guard entry.size <= entry.compressedSize * 1032 + 64 else {
                throw fail(header, "\(name) claims \(entry.size) bytes from \(entry.compressedSize) compressed bytes, more than deflate can produce")
            }
            output = try inflate(Array(data), size: entry.size, name: name, at: start)
        default:
            throw fail(header, "\(name) uses compression method \(entry.method)",
                       "only stored (0) and deflated (8) members can be read, as numpy.savez and savez_compressed write them")
        }
        guard output.withUnsafeBytes(Self.crc32) == entry.crc else {
            throw fail(start, "\(name) fails its CRC-32 check: the data is damaged", "save the archive again")
        }
        return output
    }

    /// Zip's CRC-32 of `bytes`, of any length (zlib's `crc32_z` takes the whole size; its older
    /// `crc32` takes 32 bits of it).
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32_z(0, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count))
    }

    /// Raw-inflates `input` into exactly `size` bytes.
    private func inflate(_ input: [UInt8], size: Int, name: String, at start: Int) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError(file: file, message: "zlib failed to initialise")
        }
        defer { inflateEnd(&stream) }
        var status: Int32 = Z_OK
        var produced = 0
        let output = [UInt8](unsafeUninitializedCapacity: max(size, 1)) { out, initialized in
            input.withUnsafeBufferPointer { source in
                var consumed = 0
                // Until the stream ends or zlib can make no more progress (Z_BUF_ERROR) or fails.
                while status == Z_OK {
                    let feed = min(source.count - consumed, Int(UInt32.max))
                    let room = min(size - produced, Int(UInt32.max))
                    stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress.map { $0 + consumed })
                    stream.avail_in = UInt32(feed)
                    stream.next_out = out.baseAddress! + produced
                    stream.avail_out = UInt32(room)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    consumed += feed - Int(stream.avail_in)
                    produced += room - Int(stream.avail_out)
                }
            }
            initialized = produced
        }
        guard status == Z_STREAM_END, produced == size else {
            let detail = status == Z_STREAM_END || status == Z_OK || status == Z_BUF_ERROR
                ? "it inflates to \(produced == size ? "more than" : "\(produced) of") the \(size) bytes its directory entry promises"
                : "corrupt deflate data (zlib status \(status))"
            throw fail(start, "\(name): \(detail)", "the archive is damaged; save it again")
        }
        return output
    }

    private func fail(_ offset: Int, _ message: String, _ hint: String? = nil) -> DatasetError {
        DatasetError(file: file, position: .byte(offset), message: message, hint: hint)
    }

    private func u16(_ at: Int) -> Int {
        guard at >= 0, at + 2 <= bytes.count else { return 0 }
        return Int(bytes[at]) | Int(bytes[at + 1]) << 8
    }

    private func u32(_ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    /// A little-endian UInt64 as Int; values beyond Int.max come back as -1 (caught by range checks).
    private func u64(_ at: Int) -> Int {
        guard at >= 0, at + 8 <= bytes.count else { return -1 }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        return value > UInt64(Int.max) ? -1 : Int(value)
    }
}
