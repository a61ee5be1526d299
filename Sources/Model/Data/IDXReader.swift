// IDXReader: parses IDX files (the MNIST / Fashion-MNIST format), plain or gzipped: a magic
// number (0x00 0x00, type code, dimension count), big-endian UInt32 sizes, then the data.

/// An n-dimensional array of unsigned bytes read from an IDX file.
public struct IDXArray: Sendable, Equatable {
    /// Sizes of each dimension, outermost first: `[count, rows, columns]` for an idx3 image file,
    /// `[count]` for an idx1 label file.
    public var shape: [Int]
    /// The data in row-major order; `values.count == shape.reduce(1, *)`.
    public var values: [UInt8]
    /// Size of the first dimension (the number of items), or 0 for an empty shape.
    public var count: Int { shape.first ?? 0 }
    /// Number of header bytes before the data (4 + 4 × dimensions), for byte-offset messages.
    public var dataOffset: Int { 4 + 4 * shape.count }

    /// Creates an array; `values` must fill `shape` exactly (a precondition).
    public init(shape: [Int], values: [UInt8]) {
        precondition(values.count == shape.reduce(1, *), "IDXArray: values do not fill the shape")
        self.shape = shape
        self.values = values
    }
}

/// Reads IDX files. Only the unsigned-byte data type (code 0x08) is supported, which is what
/// MNIST-style image and label files use.
public enum IDXReader {
    /// Reads any IDX file of unsigned bytes, gzipped or not (detected by content).
    /// `dimensions`, when given, is the number of dimensions the file must have (default nil: any).
    public static func read(path: String, dimensions: Int? = nil) throws -> IDXArray {
        let (bytes, gzipped) = try DataFile.read(path)
        return try parse(bytes, file: path, dimensions: dimensions, decompressed: gzipped)
    }

    /// Reads an idx3 image file: shape `[count, rows, columns]`.
    public static func readImages(path: String) throws -> IDXArray {
        try read(path: path, dimensions: 3)
    }

    /// Reads an idx1 label file: shape `[count]`. With `classes` (default nil: no check), every
    /// label must be in `0..<classes`; the error names the byte offset of the first bad label.
    public static func readLabels(path: String, classes: Int? = nil) throws -> IDXArray {
        let (bytes, gzipped) = try DataFile.read(path)
        let labels = try parse(bytes, file: path, dimensions: 1, decompressed: gzipped)
        if let classes { try checkLabels(labels, classes: classes, file: path, decompressed: gzipped) }
        return labels
    }

    /// Parses the bytes of an uncompressed IDX file. `file` is only used in error messages;
    /// `dimensions` (default nil: any) is the required number of dimensions.
    public static func parse(_ bytes: [UInt8], file: String, dimensions: Int? = nil) throws -> IDXArray {
        try parse(bytes, file: file, dimensions: dimensions, decompressed: false)
    }

    /// Throws if any label is `classes` or more, naming the first offending byte.
    static func checkLabels(_ labels: IDXArray, classes: Int, file: String, decompressed: Bool) throws {
        guard let index = labels.values.firstIndex(where: { Int($0) >= classes }) else { return }
        throw DatasetError(
            file: file, position: .byte(labels.dataOffset + index),
            message: "label \(labels.values[index]) of sample \(index) is out of range\(note(decompressed))",
            hint: "labels must be in 0...\(classes - 1) for \(classes) classes")
    }

    private static func note(_ decompressed: Bool) -> String {
        decompressed ? " (offset in the decompressed data)" : ""
    }

    static func parse(_ bytes: [UInt8], file: String, dimensions: Int?, decompressed: Bool) throws -> IDXArray {
        let layout = "an IDX file starts with 0x00 0x00, the type code 0x08 (unsigned byte), the number " +
            "of dimensions, then one big-endian UInt32 size per dimension (e.g. 00 00 08 03 for images, 00 00 08 01 for labels)"
        func fail(_ offset: Int, _ message: String, _ hint: String? = nil) -> DatasetError {
            DatasetError(file: file, position: .byte(offset), message: message + note(decompressed), hint: hint)
        }
        guard !bytes.isEmpty else {
            throw DatasetError(file: file, message: "file is empty", hint: layout)
        }
        guard bytes.count >= 4 else {
            throw fail(bytes.count, "file ends after \(bytes.count) bytes, inside the 4-byte magic number", layout)
        }
        let magic = bytes[0..<4].map { hex($0) }.joined(separator: " ")
        guard bytes[0] == 0 && bytes[1] == 0 else {
            throw fail(0, "wrong magic number \(magic): this is not an IDX file", layout)
        }
        guard bytes[2] == 0x08 else {
            throw fail(2, "data type code \(hex(bytes[2])) is not supported",
                       "only unsigned-byte IDX data (type code 0x08) can be read")
        }
        let rank = Int(bytes[3])
        if let dimensions, rank != dimensions {
            let what = dimensions == 3 ? "an image file (count, rows, columns)" :
                dimensions == 1 ? "a label file (count)" : "this file"
            throw fail(3, "file has \(rank) dimension\(rank == 1 ? "" : "s") (magic number \(magic)), expected \(dimensions) for \(what)",
                       "check that the images and labels paths are not swapped")
        }
        guard rank >= 1 else { throw fail(3, "dimension count is 0", layout) }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw fail(bytes.count, "file ends at byte \(bytes.count), inside the header of \(rank) dimension sizes (\(headerSize) bytes)",
                       "the file is truncated; download or copy it again")
        }
        var shape: [Int] = []
        var total = 1
        for d in 0..<rank {
            let at = 4 + 4 * d
            let size = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            shape.append(size)
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow else { throw fail(at, "dimension sizes \(shape) overflow the addressable size") }
            total = product
        }
        let shapeText = shape.map(String.init).joined(separator: " × ")
        try DataFile.checkDataSize(fileSize: bytes.count, dataStart: headerSize, needed: total,
                                   layout: "its header (\(shapeText))", array: "a \(shapeText) array",
                                   truncatedHint: "the file is truncated; download or copy it again",
                                   trailingHint: "the header's sizes do not match the file; it may be corrupt or of another format",
                                   fail: { fail($0, $1, $2) })
        return IDXArray(shape: shape, values: Array(bytes[headerSize...]))
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 15)])
    }
}
