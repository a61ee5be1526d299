// SafetensorsReader: opens a safetensors file and validates its header before reading anything
// else (bounded header, F32 or I64, in-range non-overlapping offsets), then reads the tensors.
import Foundation

/// One tensor as the header describes it.
public struct SafetensorsEntry: Sendable, Equatable {
    /// Tensor name.
    public var name: String
    /// Shape, row-major.
    public var shape: [Int]
    /// Element type (default F32).
    public var dtype: SafetensorsDType = .f32
    /// Byte range within the data section (the part after the header).
    public var byteRange: Range<Int>
    /// Number of elements (product of `shape`).
    public var count: Int { shape.reduce(1, *) }
}

/// A validated safetensors file, open for reading its tensors.
///
/// Opening checks the whole header: the header length against the file size and
/// `maxHeaderBytes`, UTF-8 and JSON, dtype F32 or I64 for every tensor, shapes matching their byte
/// spans, and offsets that tile the data section exactly (no overlaps, gaps or trailing bytes).
/// Reading never goes past the end of the file, and no allocation is larger than the file.
public final class SafetensorsReader {
    /// The default cap on the JSON header's length: 100 MB.
    public static let defaultMaxHeaderBytes = 100 << 20

    /// The file's path, as given.
    public let path: String
    /// The file's size in bytes when it was opened.
    public let fileSize: Int
    /// The tensors, in data order (by offset).
    public let entries: [SafetensorsEntry]
    /// The `__metadata__` string pairs (empty when absent).
    public let metadata: [String: String]

    private let file: SafetensorsFileHandle
    private let observe: (@Sendable (UnsafeRawBufferPointer) -> Void)?
    private var consumed = false

    /// Opens `path` and validates its header.
    ///
    /// - Parameters:
    ///   - maxHeaderBytes: longest header accepted (default `defaultMaxHeaderBytes`, 100 MB).
    ///   - observe: called with every byte of the file, in order, as it is read (e.g. to hash
    ///     it without a second pass of I/O). Header bytes are observed during `init`; tensor data
    ///     on a second thread, overlapping the reads, all finished when `readAll` returns or
    ///     throws. Default nil.
    public init(path: String, maxHeaderBytes: Int = SafetensorsReader.defaultMaxHeaderBytes,
                observe: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil) throws {
        self.path = path
        self.observe = observe
        let file = try SafetensorsFileHandle(path: path)
        self.file = file
        fileSize = try file.size()
        guard fileSize >= 8 else { throw SafetensorsError(.tooShort(size: fileSize), file: path) }
        var rawLength: UInt64 = 0
        try withUnsafeMutableBytes(of: &rawLength) { try file.read(into: $0) }
        withUnsafeBytes(of: &rawLength) { observe?($0) }
        let length = UInt64(littleEndian: rawLength)
        guard length <= UInt64(maxHeaderBytes) else {
            throw SafetensorsError(.headerTooLarge(length: length, limit: maxHeaderBytes), file: path)
        }
        guard length <= UInt64(fileSize - 8) else {
            throw SafetensorsError(.headerBeyondFile(length: length, fileSize: fileSize), file: path)
        }
        var header = Data(count: Int(length))
        try header.withUnsafeMutableBytes { try file.read(into: $0) }
        header.withUnsafeBytes { observe?($0) }
        (entries, metadata) = try Self.parse(header: header, dataSize: fileSize - 8 - Int(length), file: path)
    }

    /// The entry called `name`, or nil.
    public func entry(named name: String) -> SafetensorsEntry? { entries.first { $0.name == name } }

    /// Reads every tensor's values, in file order (may be called once). Every tensor must be
    /// F32 (`readAllTensors` also returns I64 ones).
    public func readAll() throws -> [String: [Float]] {
        if let other = entries.first(where: { $0.dtype != .f32 }) {
            throw SafetensorsError(.unsupportedDtype(tensor: other.name, dtype: other.dtype.rawValue), file: path)
        }
        return try readAllTensors().floats
    }

    /// Reads every tensor's values, in file order (may be called once): F32 tensors in
    /// `floats`, I64 tensors in `integers`.
    public func readAllTensors() throws -> (floats: [String: [Float]], integers: [String: [Int64]]) {
        precondition(!consumed, "SafetensorsReader.readAll may be called once")
        consumed = true
        var tensors: [String: [Float]] = [:]
        var integers: [String: [Int64]] = [:]
        tensors.reserveCapacity(entries.count)
        let observer = observe.map(SafetensorsObserverQueue.init)
        defer { observer?.finish() }
        for entry in entries {
            switch entry.dtype {
            case .f32:
                let values = try readValues(count: entry.count)
                observer?.submit(values)   // observed while the next tensor is read
                tensors[entry.name] = values
            case .i64:
                var values = [Int64](repeating: 0, count: entry.count)
                try values.withUnsafeMutableBytes { try file.read(into: $0) }
                observer?.submit(values)
                integers[entry.name] = values.map { Int64(littleEndian: $0) }
            }
        }
        return (tensors, integers)
    }

    /// Reads `count` floats at the current position.
    private func readValues(count: Int) throws -> [Float] {
        let chunkFloats = SafetensorsWriter.chunkBytes / MemoryLayout<Float>.size
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            var start = 0
            while start < count {
                let end = min(start + chunkFloats, count)
                let raw = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[start * 4..<end * 4])
                try file.read(into: raw)
                start = end
            }
            #if _endian(big)
            for i in 0..<count { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
            #endif
            initialized = count
        }
    }

    /// Parses and validates the JSON header against a data section of `dataSize` bytes.
    static func parse(header: Data, dataSize: Int, file: String) throws -> ([SafetensorsEntry], [String: String]) {
        guard String(data: header, encoding: .utf8) != nil else { throw SafetensorsError(.headerNotUTF8, file: file) }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw SafetensorsError(.headerNotJSON((error as NSError).localizedDescription), file: file)
        }
        guard let fields = object as? [String: Any] else {
            throw SafetensorsError(.headerNotJSON("the top level is not an object"), file: file)
        }
        var metadata: [String: String] = [:]
        var entries: [SafetensorsEntry] = []
        for (name, value) in fields {
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any] else {
                    throw SafetensorsError(.badMetadata("is not an object"), file: file)
                }
                for (key, item) in pairs {
                    guard let text = item as? String else {
                        throw SafetensorsError(.badMetadata("value for '\(key)' is not a string"), file: file)
                    }
                    metadata[key] = text
                }
                continue
            }
            entries.append(try entry(name: name, value: value, dataSize: dataSize, file: file))
        }
        // Sorted by offset, the tensors must tile the data section exactly.
        entries.sort { ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name) }
        var covered = 0
        for (i, entry) in entries.enumerated() {
            if entry.byteRange.lowerBound < covered {
                throw SafetensorsError(.overlap(tensor: entry.name, other: entries[i - 1].name), file: file)
            }
            if entry.byteRange.lowerBound > covered { throw SafetensorsError(.gap(at: covered), file: file) }
            covered = entry.byteRange.upperBound
        }
        guard covered == dataSize else { throw SafetensorsError(.trailingBytes(used: covered, dataSize: dataSize), file: file) }
        return (entries, metadata)
    }

    /// One header entry, checked on its own: fields present and well typed, F32, in range,
    /// and a byte span that matches the shape.
    private static func entry(name: String, value: Any, dataSize: Int, file: String) throws -> SafetensorsEntry {
        func bad(_ problem: String) -> SafetensorsError { SafetensorsError(.badEntry(tensor: name, problem: problem), file: file) }
        guard let info = value as? [String: Any] else { throw bad("is not an object") }
        guard let dtype = info["dtype"] as? String else { throw bad("has no dtype string") }
        guard let shapeList = info["shape"] as? [Any], let shape = integers(shapeList) else {
            throw bad("has no shape list of non-negative integers")
        }
        guard let offsetList = info["data_offsets"] as? [Any], let offsets = integers(offsetList), offsets.count == 2 else {
            throw bad("has no data_offsets pair of non-negative integers")
        }
        guard let type = SafetensorsDType(rawValue: dtype) else {
            throw SafetensorsError(.unsupportedDtype(tensor: name, dtype: dtype), file: file)
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end, end <= dataSize else {
            throw SafetensorsError(.offsetsOutOfRange(tensor: name, begin: begin, end: end, dataSize: dataSize), file: file)
        }
        var bytes = type.size
        for dim in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw SafetensorsError(.sizeMismatch(tensor: name, shape: shape, bytes: end - begin), file: file) }
            bytes = product
        }
        guard bytes == end - begin else {
            throw SafetensorsError(.sizeMismatch(tensor: name, shape: shape, bytes: end - begin), file: file)
        }
        return SafetensorsEntry(name: name, shape: shape, dtype: type, byteRange: begin..<end)
    }

    /// The values as non-negative Ints, or nil if any is not one.
    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            guard let number = value as? NSNumber, let int = Int(exactly: number.doubleValue),
                  int >= 0, number.stringValue == String(int) else { return nil }
            result.append(int)
        }
        return result
    }
}
