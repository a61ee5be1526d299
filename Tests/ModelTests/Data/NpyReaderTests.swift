// Tests for NpyReader: every supported dtype, versions 1.0–3.0, big-endian conversion, shapes,
// and one clean DatasetError per kind of bad header or data (never a crash or a huge allocation).
import Model
import Testing

@Suite("NumPy .npy reader")
struct NpyReaderTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var descr: String
        var data: [UInt8]
        var expected: [Float]
        var testDescription: String { descr }
    }

    static let dtypes: [Case] = [
        Case(descr: "<f4", data: float32Bytes([1.5, -2, 3e30]), expected: [1.5, -2, 3e30]),
        Case(descr: "<f8", data: float64Bytes([0.25, -1e-3, 7]), expected: [0.25, Float(-1e-3), 7]),
        Case(descr: "|u1", data: [0, 7, 255], expected: [0, 7, 255]),
        Case(descr: "|i1", data: [0x80, 0xFF, 5], expected: [-128, -1, 5]),
        Case(descr: "<i2", data: littleEndian([Int16(-300), 2, 32767]), expected: [-300, 2, 32767]),
        Case(descr: "<u2", data: littleEndian([UInt16(65535), 2, 9]), expected: [65535, 2, 9]),
        Case(descr: "<i4", data: littleEndian([Int32(-70000), 0, 9]), expected: [-70000, 0, 9]),
        Case(descr: "<u4", data: littleEndian([UInt32(4_000_000), 1, 2]), expected: [4_000_000, 1, 2]),
        Case(descr: "<i8", data: littleEndian([Int64(-5), 1 << 40, 3]), expected: [-5, 1_099_511_627_776, 3]),
        Case(descr: "<u8", data: littleEndian([UInt64(5), 6, 1 << 33]), expected: [5, 6, 8_589_934_592]),
        Case(descr: "|b1", data: [1, 0, 1], expected: [1, 0, 1]),
        Case(descr: ">f4", data: float32Bytes([1.5, -2, 8]).chunked4Reversed, expected: [1.5, -2, 8]),
        Case(descr: ">i4", data: littleEndian([Int32(-70000), 0, 9]).chunked4Reversed, expected: [-70000, 0, 9]),
        Case(descr: "=f4", data: float32Bytes([4, 5, 6]), expected: [4, 5, 6]),
    ]

    @Test("every dtype converts to Float", arguments: dtypes)
    func dtype(_ example: Case) throws {
        let array = try NpyReader.parse(npyFile(descr: example.descr, shape: [3], data: example.data), file: "a.npy")
        #expect(array.shape == [3])
        #expect(array.values == example.expected)
    }

    @Test("versions 1.0, 2.0 and 3.0 and shapes from 0-d to 4-d", arguments: [UInt8(1), 2, 3])
    func versionsAndShapes(major: UInt8) throws {
        for shape in [[], [4], [2, 2], [1, 2, 2], [1, 1, 2, 2], [0, 3]] {
            let count = shape.reduce(1, *)
            let values = (0..<count).map { Float($0) }
            let array = try NpyReader.parse(npyFile(descr: "<f4", shape: shape, data: float32Bytes(values), major: major), file: "s.npy")
            #expect(array.shape == shape)
            #expect(array.values == values)
            #expect(array.elementType == .float32)
        }
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var message: String
        var testDescription: String { name }
    }

    static let good = npyFile(descr: "<f4", shape: [2, 2], data: float32Bytes([1, 2, 3, 4]))
    static let bad: [Bad] = [
        Bad(name: "empty", bytes: [], message: "file is empty"),
        Bad(name: "short", bytes: Array(good[0..<7]), message: "inside the 10-byte preamble"),
        Bad(name: "magic", bytes: [0x50, 0x4B] + good.dropFirst(2), message: "wrong magic number"),
        Bad(name: "version", bytes: Array(good[0..<6]) + [4, 0] + good.dropFirst(8), message: "format version 4.0"),
        Bad(name: "header past end", bytes: Array(good[0..<8]) + [0xFF, 0x7F] + good.dropFirst(10), message: "the header runs to byte"),
        Bad(name: "huge header length", bytes: Array(good[0..<6]) + [2, 0, 0, 0, 0, 0x7F], message: "implausibly large"),
        Bad(name: "truncated data", bytes: Array(good.dropLast(3)), message: "needs 16 data bytes"),
        Bad(name: "extra data", bytes: good + [0], message: "1 unexpected bytes"),
        Bad(name: "lying shape", bytes: npyFile(descr: "<f8", shape: [1 << 40, 4], data: [1, 2]), message: "needs"),
        Bad(name: "overflowing shape", bytes: npyFile(descr: "<f8", shape: [1 << 62, 1 << 62], data: []), message: "overflows"),
        Bad(name: "fortran", bytes: npyFile(descr: "<f4", shape: [2, 2], data: float32Bytes([1, 2, 3, 4]), fortran: true),
            message: "Fortran (column-major) order"),
        Bad(name: "object", bytes: npyFile(descr: "|O", shape: [1], data: [0]), message: "dtype '|O' is not supported"),
        Bad(name: "float16", bytes: npyFile(descr: "<f2", shape: [1], data: [0, 0]), message: "dtype '<f2'"),
        Bad(name: "structured", bytes: npyFile(descr: "", shape: [], data: [],
                                                header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"),
            message: "not a type string"),
        Bad(name: "missing shape", bytes: npyFile(descr: "", shape: [], data: [], header: "{'descr': '<f4', 'fortran_order': False}"),
            message: "no 'shape' entry"),
        Bad(name: "negative size", bytes: npyFile(descr: "<f4", shape: [-1], data: []), message: "non-negative size"),
        Bad(name: "not a dict", bytes: npyFile(descr: "", shape: [], data: [], header: "descr=<f4"), message: "not a valid dict literal"),
        Bad(name: "unclosed", bytes: npyFile(descr: "", shape: [], data: [], header: "{'descr': '<f4"), message: "not closed"),
        Bad(name: "deep", bytes: npyFile(descr: "", shape: [], data: [], header: "{'shape': " + String(repeating: "(", count: 5000)),
            message: "nested more than"),
        Bad(name: "huge number", bytes: npyFile(descr: "", shape: [], data: [],
                                                 header: "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
            message: "too large"),
        Bad(name: "extra key", bytes: npyFile(descr: "", shape: [], data: [],
                                               header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}"),
            message: "unexpected entry 'x'"),
    ]

    @Test("bad files are DatasetErrors naming the file", arguments: bad)
    func badFile(_ example: Bad) {
        let error = #expect(throws: DatasetError.self) { _ = try NpyReader.parse(example.bytes, file: "bad.npy") }
        #expect(error?.file == "bad.npy")
        #expect(error?.message.contains(example.message) == true, "\(error?.description ?? "no error")")
    }

    @Test("a missing file is a DatasetError")
    func missing() {
        let error = #expect(throws: DatasetError.self) { _ = try NpyReader.read(path: "/nonexistent/x.npy") }
        #expect(error?.message.contains("cannot open") == true)
    }
}

extension Array where Element == UInt8 {
    /// Each 4-byte group reversed (little-endian 32-bit values made big-endian).
    var chunked4Reversed: [UInt8] {
        stride(from: 0, to: count, by: 4).flatMap { self[$0..<$0 + 4].reversed() }
    }
}
