// NpyReader: parses NumPy .npy files (format versions 1.0, 2.0 and 3.0) into Float arrays:
// magic, version, header length, the header's dict literal, then C-ordered data, all bounds-checked.

/// A numeric array read from a .npy file, its values converted to Float.
public struct NumpyArray: Sendable, Equatable {
    /// The element types that can be read.
    public enum ElementType: String, Sendable, CaseIterable {
        case bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .bool, .int8, .uint8: return 1
            case .int16, .uint16: return 2
            case .int32, .uint32, .float32: return 4
            case .int64, .uint64, .float64: return 8
            }
        }

        /// True for float32 and float64 (the types that can hold NaN and infinities).
        public var isFloat: Bool { self == .float32 || self == .float64 }

        /// The type of a NumPy type code such as `f4`, `u1`, `i8` or `b1`.
        init?(code: String) {
            let table: [String: ElementType] = [
                "b1": .bool, "i1": .int8, "i2": .int16, "i4": .int32, "i8": .int64, "u1": .uint8,
                "u2": .uint16, "u4": .uint32, "u8": .uint64, "f4": .float32, "f8": .float64,
            ]
            guard let type = table[code] else { return nil }
            self = type
        }
    }

    /// Sizes of each axis, outermost first (`[]` for a 0-d array).
    public var shape: [Int]
    /// The element type stored in the file.
    public var elementType: ElementType
    /// The values in C (row-major) order, converted to Float; `values.count == shape.reduce(1, *)`.
    public var values: [Float]
}

/// Reads .npy files. Little- and big-endian data are both read (big-endian is byte-swapped);
/// Fortran-ordered arrays, structured and object arrays are refused with a `DatasetError`.
public enum NpyReader {
    /// The six bytes every .npy file starts with: 0x93 then "NUMPY".
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    /// Headers longer than this are refused before anything is parsed (NumPy writes a few hundred bytes).
    static let maximumHeaderLength = 1 << 20

    /// Reads the .npy file at `path`.
    public static func read(path: String) throws -> NumpyArray {
        try parse(DataFile.readRaw(path), file: path)
    }

    /// Parses the bytes of a .npy file. `file` names it in errors; `member`, when the bytes are an
    /// array inside a .npz archive (default nil), is named in every message.
    public static func parse(_ bytes: [UInt8], file: String, member: String? = nil) throws -> NumpyArray {
        let inside = member.map { " (array \"\($0)\" of the archive; offsets count from the start of \($0).npy)" } ?? ""
        let layout = "a .npy file starts with \\x93NUMPY, a version byte pair (1.0, 2.0 or 3.0), the header length, " +
            "then a header such as {'descr': '<f4', 'fortran_order': False, 'shape': (100, 28, 28), }; write it with numpy.save"
        func fail(_ offset: Int?, _ message: String, _ hint: String? = nil) -> DatasetError {
            DatasetError(file: file, position: offset.map { .byte($0) }, message: message + inside, hint: hint)
        }
        guard !bytes.isEmpty else { throw fail(nil, "file is empty", layout) }
        guard bytes.count >= 10 else {
            throw fail(bytes.count, "file ends after \(bytes.count) bytes, inside the 10-byte preamble", layout)
        }
        guard Array(bytes[0..<6]) == magic else {
            throw fail(0, "wrong magic number: this is not a .npy file", layout)
        }
        let major = Int(bytes[6]), minor = Int(bytes[7])
        guard (1...3).contains(major) && minor == 0 else {
            throw fail(6, "format version \(major).\(minor) is not supported", "versions 1.0, 2.0 and 3.0 can be read")
        }
        let lengthBytes = major == 1 ? 2 : 4
        let headerStart = 8 + lengthBytes
        guard bytes.count >= headerStart else {
            throw fail(bytes.count, "file ends at byte \(bytes.count), inside the header length", layout)
        }
        var headerLength = 0
        for i in 0..<lengthBytes { headerLength |= Int(bytes[8 + i]) << (8 * i) }
        guard headerLength <= maximumHeaderLength else {
            throw fail(8, "header length \(headerLength) is implausibly large", "the file is corrupt; save it again with numpy.save")
        }
        let dataStart = headerStart + headerLength
        guard bytes.count >= dataStart else {
            throw fail(bytes.count, "file ends at byte \(bytes.count), but the header runs to byte \(dataStart)",
                       "the file is truncated; copy or save it again")
        }
        let header = try NpyHeader.parse(Array(bytes[headerStart..<dataStart]), at: headerStart, fail: fail)

        var count = 1
        for size in header.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw fail(headerStart, "shape \(header.shape) overflows the addressable size") }
            count = product
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: header.type.size)
        guard !overflow else { throw fail(headerStart, "shape \(header.shape) overflows the addressable size") }
        try DataFile.checkDataSize(fileSize: bytes.count, dataStart: dataStart, needed: needed,
                                   layout: "shape \(header.shape) of \(header.type.rawValue)", array: "shape \(header.shape)",
                                   truncatedHint: "the file is truncated, or its header does not match its data; save it again with numpy.save",
                                   trailingHint: "the header's shape does not match the file; it may be corrupt",
                                   fail: { fail($0, $1, $2) })
        let values = bytes.withUnsafeBytes { raw in
            convert(UnsafeRawBufferPointer(rebasing: raw[dataStart...]), type: header.type, count: count,
                    swapped: header.bigEndian)
        }
        return NumpyArray(shape: header.shape, elementType: header.type, values: values)
    }

    /// Converts `count` elements of `type` at `raw` to Floats, byte-swapping them first when
    /// `swapped`. The bytes are copied into a typed array in one block, then converted.
    static func convert(_ raw: UnsafeRawBufferPointer, type: NumpyArray.ElementType, count: Int, swapped: Bool) -> [Float] {
        func copy<T>(_: T.Type) -> [T] {
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                let bytes = count * MemoryLayout<T>.stride
                if bytes > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[..<bytes])) }
                initialized = count
            }
        }
        func integers<T: FixedWidthInteger>(_: T.Type) -> [T] {
            swapped ? copy(T.self).map(\.byteSwapped) : copy(T.self)
        }
        switch type {
        case .float32:
            return swapped ? integers(UInt32.self).map { Float(bitPattern: $0) } : copy(Float.self)
        case .float64: return integers(UInt64.self).map { Float(Double(bitPattern: $0)) }
        case .bool: return copy(UInt8.self).map { $0 == 0 ? 0 : 1 }
        case .uint8: return copy(UInt8.self).map { Float($0) }
        case .int8: return copy(Int8.self).map { Float($0) }
        case .int16: return integers(Int16.self).map { Float($0) }
        case .uint16: return integers(UInt16.self).map { Float($0) }
        case .int32: return integers(Int32.self).map { Float($0) }
        case .uint32: return integers(UInt32.self).map { Float($0) }
        case .int64: return integers(Int64.self).map { Float($0) }
        case .uint64: return integers(UInt64.self).map { Float($0) }
        }
    }
}
