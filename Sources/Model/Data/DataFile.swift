// DataFile: reads a dataset file whole into memory, inflating it with zlib when it is gzipped
// (recognised by the magic bytes 1f 8b, never by its name), and checks that a binary array
// file (IDX, .npy) holds exactly the data bytes its header promises.
import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reading and size checks for the dataset readers.
enum DataFile {
    /// The file's bytes (decompressed if gzipped) and whether it was gzipped.
    static func read(_ path: String) throws -> (bytes: [UInt8], gzipped: Bool) {
        let raw = try readRaw(path)
        if raw.count >= 2 && raw[0] == 0x1F && raw[1] == 0x8B {
            return (try gunzip(raw, path: path), true)
        }
        return (raw, false)
    }

    /// The file's bytes exactly as stored.
    static func readRaw(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK)   // a FIFO would block here until something writes it
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw DatasetError(file: path, message: "cannot open the file (\(reason))",
                               hint: "check the path in the dataset configuration")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw DatasetError(file: path, message: "cannot read the file's size (\(String(cString: strerror(errno))))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw DatasetError(file: path, message: "is a directory, not a file",
                               hint: "give the path of a data file inside it")
        }
        if [S_IFIFO, S_IFSOCK].contains(info.st_mode & S_IFMT) {
            throw DatasetError(file: path, message: "is a FIFO or socket, not a file", hint: "give the path of a data file")
        }
        let size = Int(info.st_size)
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var done = 0
            while done < size {
                let got = systemRead(fd, buffer.baseAddress! + done, size - done)
                if got < 0 { if errno == EINTR { continue }; failure = errno; break }
                if got == 0 { break }
                done += got
            }
            if failure != 0 { done = 0 }
            // Bytes past `done` (file shrank while reading) are never exposed.
            initialized = done
        }
        if failure != 0 {
            throw DatasetError(file: path, message: "cannot read the file (\(String(cString: strerror(failure))))")
        }
        return bytes
    }

    /// Checks that exactly `needed` data bytes follow the header ending at `dataStart` in the
    /// `fileSize`-byte file: fewer is a truncated file, more are trailing bytes. `layout` says
    /// what needs the bytes (`shape [3, 4] of <f4`), `array` what they are (`shape [3, 4]`);
    /// `fail` builds the error at a byte offset with a hint.
    static func checkDataSize(fileSize: Int, dataStart: Int, needed: Int, layout: String, array: String,
                              truncatedHint: String, trailingHint: String,
                              fail: (Int, String, String) -> DatasetError) throws {
        let available = fileSize - dataStart
        guard available >= needed else {
            throw fail(fileSize, "file ends at byte \(fileSize), but \(layout) needs \(needed) data bytes, ending at byte \(dataStart + needed)",
                       truncatedHint)
        }
        guard available == needed else {
            throw fail(dataStart + needed, "\(available - needed) unexpected bytes after the \(needed) data bytes of \(array)", trailingHint)
        }
    }

    /// Inflates a gzip stream (one or more concatenated members).
    static func gunzip(_ input: [UInt8], path: String) throws -> [UInt8] {
        // The trailer's ISIZE field (size mod 2^32) is a good first guess for the output size.
        // It is garbage in a truncated file, so cap it by deflate's best ratio (about 1032:1);
        // the memory is reserved uninitialised, so an overestimate costs only address space.
        var capacity = input.count * 4
        if input.count >= 18 {
            let n = input.count
            let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            if isize > 0 { capacity = min(isize, input.count * 1032) }
        }
        capacity = max(capacity, 1 << 16)
        guard var output = malloc(capacity)?.assumingMemoryBound(to: UInt8.self) else {
            throw DatasetError(file: path, message: "out of memory reserving \(capacity) bytes to decompress the file")
        }
        defer { free(output) }
        var produced = 0
        var stream = z_stream()
        guard inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError(file: path, message: "zlib failed to initialise")
        }
        defer { inflateEnd(&stream) }

        guard input.count <= Int(UInt32.max) else {
            throw DatasetError(file: path, message: "gzipped file is \(input.count) bytes; compressed files over 4 GiB are not supported",
                               hint: "decompress it first; plain files have no such limit")
        }
        try input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while true {
                if produced == capacity {
                    capacity *= 2
                    guard let grown = realloc(output, capacity) else {
                        throw DatasetError(file: path, message: "out of memory growing the decompression buffer to \(capacity) bytes")
                    }
                    output = grown.assumingMemoryBound(to: UInt8.self)
                }
                let room = min(capacity - produced, Int(UInt32.max))
                stream.next_out = output + produced
                stream.avail_out = UInt32(room)
                let status = inflate(&stream, Z_NO_FLUSH)
                produced += room - Int(stream.avail_out)
                let consumed = source.count - Int(stream.avail_in)
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow (as `cat a.gz b.gz` makes); anything else ends it.
                    if stream.avail_in >= 2 && source[consumed] == 0x1F && source[consumed + 1] == 0x8B {
                        inflateReset(&stream)
                        continue
                    }
                    return
                case Z_OK, Z_BUF_ERROR:
                    if stream.avail_out == 0 { continue }  // output full: grow and go on
                    if stream.avail_in == 0 {
                        throw DatasetError(
                            file: path, position: .byte(source.count),
                            message: "gzip data ends early: the compressed file stops at byte \(source.count) before the end of its stream",
                            hint: "the file is truncated; download or copy it again")
                    }
                default:
                    let detail = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw DatasetError(
                        file: path, position: .byte(consumed),
                        message: "corrupt gzip data near compressed byte \(consumed) (\(detail))",
                        hint: "the file is damaged; download or copy it again")
                }
            }
        }
        let result = output
        return [UInt8](unsafeUninitializedCapacity: produced) { buffer, initialized in
            if produced > 0 { buffer.baseAddress!.update(from: result, count: produced) }
            initialized = produced
        }
    }
}

/// `read(2)`, named apart from `DataFile.read`.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #else
    return Darwin.read(fd, buffer, count)
    #endif
}
