// NpyHeader: the dict literal of a .npy header ({'descr': '<f4', 'fortran_order': False,
// 'shape': (3, 4), }) read by a small bounded parser of Python literals, then checked key by key.

/// The three fields of a .npy header, checked.
struct NpyHeader {
    /// The element type named by `descr`.
    var type: NumpyArray.ElementType
    /// True when `descr` starts with `>` (the data is byte-swapped while reading).
    var bigEndian: Bool
    /// The array's shape.
    var shape: [Int]

    /// The Python literals a header may hold.
    indirect enum Literal {
        case string(String), bool(Bool), integer(Int), none, tuple([Literal]), list([Literal])
    }

    static let supported = "float32 (<f4), float64 (<f8), uint8 (|u1), int8, int16, int32, int64, uint16, uint32, uint64, bool"
    /// Axes beyond this are refused (NumPy itself allows 64).
    static let maximumAxes = 32

    /// Parses `text`, the header bytes that start at byte `offset` of the file. `fail` makes the
    /// error (offset, message, hint) naming the file.
    static func parse(_ text: [UInt8], at offset: Int, fail: @escaping (Int?, String, String?) -> DatasetError) throws -> NpyHeader {
        var parser = LiteralParser(bytes: text, offset: offset, fail: fail)
        let fields = try parser.dictionary()
        func field(_ key: String) throws -> Literal {
            guard let value = fields.first(where: { $0.key == key })?.value else {
                throw fail(offset, "the header has no '\(key)' entry", "a .npy header holds 'descr', 'fortran_order' and 'shape'")
            }
            return value
        }
        if let extra = fields.first(where: { !["descr", "fortran_order", "shape"].contains($0.key) }) {
            throw fail(offset, "the header has an unexpected entry '\(extra.key)'", "a .npy header holds only 'descr', 'fortran_order' and 'shape'")
        }
        guard case .string(let descr) = try field("descr") else {
            throw fail(offset, "the header's 'descr' is not a type string such as '<f4'",
                       "structured arrays (a list of fields) cannot be read; save each field as its own array")
        }
        var code = Substring(descr)
        var bigEndian = false
        if let first = code.first, "<>|=".contains(first) {
            bigEndian = first == ">"
            code = code.dropFirst()
        }
        guard let type = NumpyArray.ElementType(code: String(code)) else {
            throw fail(offset, "dtype '\(descr)' is not supported",
                       "supported dtypes: \(supported); convert with x.astype(numpy.float32) before numpy.save")
        }
        guard case .bool(let fortran) = try field("fortran_order") else {
            throw fail(offset, "the header's 'fortran_order' is not True or False", nil)
        }
        guard !fortran else {
            throw fail(offset, "the array is stored in Fortran (column-major) order, which is not supported",
                       "save it in C order: numpy.save(path, numpy.ascontiguousarray(x))")
        }
        guard case .tuple(let axes) = try field("shape") else {
            throw fail(offset, "the header's 'shape' is not a tuple of sizes such as (100, 28, 28)", nil)
        }
        guard axes.count <= maximumAxes else {
            throw fail(offset, "the shape has \(axes.count) axes; at most \(maximumAxes) are supported", nil)
        }
        var shape: [Int] = []
        for axis in axes {
            guard case .integer(let size) = axis, size >= 0 else {
                throw fail(offset, "the shape holds something other than a non-negative size", "e.g. 'shape': (100, 28, 28)")
            }
            shape.append(size)
        }
        return NpyHeader(type: type, bigEndian: bigEndian && type.size > 1, shape: shape)
    }
}

/// A recursive-descent parser of the Python literals in a header, bounded in depth and length.
private struct LiteralParser {
    let bytes: [UInt8]
    let offset: Int
    let fail: (Int?, String, String?) -> DatasetError
    var at = 0
    static let maximumDepth = 8

    init(bytes: [UInt8], offset: Int, fail: @escaping (Int?, String, String?) -> DatasetError) {
        self.bytes = bytes
        self.offset = offset
        self.fail = fail
    }

    private func error(_ message: String) -> DatasetError {
        fail(offset + at, "header is not a valid dict literal: " + message,
             "the header should read like {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }")
    }

    private mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 }
    }

    private mutating func expect(_ char: UInt8) throws {
        skipSpace()
        guard at < bytes.count, bytes[at] == char else {
            throw error("expected '\(Character(Unicode.Scalar(char)))'" + (at < bytes.count ? "" : " before the header ends"))
        }
        at += 1
    }

    private mutating func peek() -> UInt8? {
        skipSpace()
        return at < bytes.count ? bytes[at] : nil
    }

    /// `{ 'key': value, ... }` followed only by spaces and newlines.
    mutating func dictionary() throws -> [(key: String, value: NpyHeader.Literal)] {
        try expect(UInt8(ascii: "{"))
        var entries: [(key: String, value: NpyHeader.Literal)] = []
        while peek() != UInt8(ascii: "}") {
            guard case .string(let key) = try value(depth: 1) else { throw error("a key is not a string") }
            try expect(UInt8(ascii: ":"))
            let item = try value(depth: 1)
            guard !entries.contains(where: { $0.key == key }) else { throw error("the key '\(key)' appears twice") }
            entries.append((key, item))
            if peek() == UInt8(ascii: ",") { at += 1 } else { break }
        }
        try expect(UInt8(ascii: "}"))
        skipSpace()
        guard at == bytes.count else { throw error("unexpected text after the closing '}'") }
        return entries
    }

    private mutating func value(depth: Int) throws -> NpyHeader.Literal {
        guard depth <= Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
        guard let first = peek() else { throw error("a value is missing before the header ends") }
        switch first {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            at += 1
            let start = at
            while at < bytes.count && bytes[at] != first {
                guard bytes[at] != UInt8(ascii: "\\") else { throw error("escapes in strings are not supported") }
                at += 1
            }
            guard at < bytes.count else { throw error("a string is not closed") }
            let text = String(decoding: bytes[start..<at], as: UTF8.self)
            at += 1
            return .string(text)
        case UInt8(ascii: "("), UInt8(ascii: "["):
            let close = first == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
            at += 1
            var items: [NpyHeader.Literal] = []
            while peek() != close {
                items.append(try value(depth: depth + 1))
                if peek() == UInt8(ascii: ",") { at += 1 } else { break }
            }
            try expect(close)
            return first == UInt8(ascii: "(") ? .tuple(items) : .list(items)
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
            let start = at
            if first == UInt8(ascii: "-") { at += 1 }
            var number = 0
            var digits = 0
            while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) {
                let (times, o1) = number.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(Int(bytes[at] - UInt8(ascii: "0")))
                guard !o1 && !o2 else { at = start; throw error("a number is too large") }
                number = plus
                digits += 1
                at += 1
            }
            guard digits > 0 else { throw error("'-' is not followed by digits") }
            if at < bytes.count && bytes[at] == UInt8(ascii: "L") { at += 1 }   // Python 2 long
            return .integer(first == UInt8(ascii: "-") ? -number : number)
        default:
            for (word, literal) in [("True", NpyHeader.Literal.bool(true)), ("False", .bool(false)), ("None", .none)]
            where bytes[at...].starts(with: word.utf8) {
                at += word.utf8.count
                return literal
            }
            throw error("unexpected character '\(Character(Unicode.Scalar(first)))'")
        }
    }
}
