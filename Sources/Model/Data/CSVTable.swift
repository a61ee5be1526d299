// CSVTable: an RFC 4180 style CSV parser: a header row, then records of quoted or unquoted
// fields; handles commas and newlines inside quotes, "" escapes, CRLF and blank lines.

/// A CSV file held as strings: a header naming the columns and one row of fields per record.
///
/// Rules: fields are separated by commas; a field may be wrapped in double quotes, inside which
/// commas, newlines and doubled quotes (`""`) are literal; lines end with LF or CRLF; blank lines
/// (including a trailing one) are skipped; a UTF-8 byte-order mark is ignored; header names are
/// trimmed of surrounding spaces and must be unique and non-empty. Every record must have as many
/// fields as the header.
public struct CSVTable: Sendable, Equatable {
    /// Path used in error messages.
    public var file: String
    /// Column names from the first row.
    public var header: [String]
    /// Data records, each with `header.count` fields.
    public var rows: [[String]]
    /// The 1-based line on which each record of `rows` starts (for error messages).
    public var lines: [Int]

    /// Parses CSV text. `file` (default `"<memory>"`) is only used in error messages.
    public init(parsing text: String, file: String = "<memory>") throws {
        try self.init(bytes: Array(text.utf8), file: file)
    }

    /// Reads and parses a CSV file, gzipped or not (detected by content).
    public static func read(path: String) throws -> CSVTable {
        try CSVTable(bytes: DataFile.read(path).bytes, file: path)
    }

    /// The index of the column called `name`, or nil.
    public func column(named name: String) -> Int? { header.firstIndex(of: name) }

    /// The cell at `row`, `column` as a finite Float, or an error naming its line and column.
    public func number(row: Int, column: Int) throws -> Float {
        let cell = rows[row][column]
        let trimmed = cell.trimmingSpaces
        if let value = Float(trimmed), value.isFinite { return value }
        let what = trimmed.isEmpty ? "is empty" : "\"\(cell)\" is not a finite number"
        throw DatasetError(file: file, position: .line(lines[row], column: column + 1),
                           message: "cell in column \"\(header[column])\" \(what)",
                           hint: "every feature and regression target must be a decimal number such as 3, -0.5 or 1e-3")
    }

    init(bytes: [UInt8], file: String) throws {
        self.file = file
        var parser = Parser(file: file)
        var records: [[String]] = []
        var starts: [Int] = []
        try bytes.withUnsafeBufferPointer { buffer in
            try parser.parse(buffer) { record, line in records.append(record); starts.append(line) }
        }
        guard let first = records.first else {
            throw DatasetError(file: file, message: "file is empty",
                               hint: "expected a header row naming the columns, then one row per sample")
        }
        header = first.map { $0.trimmingSpaces }
        for (index, name) in header.enumerated() {
            if name.isEmpty {
                throw DatasetError(file: file, position: .line(starts[0], column: index + 1),
                                   message: "header column \(index + 1) has no name",
                                   hint: "the first row must name every column")
            }
            if let earlier = header[..<index].firstIndex(of: name) {
                throw DatasetError(file: file, position: .line(starts[0], column: index + 1),
                                   message: "column name \"\(name)\" appears twice (columns \(earlier + 1) and \(index + 1))",
                                   hint: "column names must be unique")
            }
        }
        rows = Array(records.dropFirst())
        lines = Array(starts.dropFirst())
        guard !rows.isEmpty else {
            throw DatasetError(file: file, position: .line(starts[0] + 1, column: nil),
                               message: "no data rows after the header",
                               hint: "add one row per sample below the header")
        }
        for (row, line) in zip(rows, lines) where row.count != header.count {
            let column = min(row.count, header.count) + 1
            throw DatasetError(
                file: file, position: .line(line, column: column),
                message: "row has \(row.count) field\(row.count == 1 ? "" : "s") but the header has \(header.count)",
                hint: "every row needs one field per column (\(header.joined(separator: ", "))); quote fields that contain commas")
        }
    }
}

/// The byte-level state machine behind `CSVTable`.
private struct Parser {
    let file: String
    var line = 1

    mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>, emit: ([String], Int) -> Void) throws {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var i = 0
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
        var record: [String] = []
        var field: [UInt8] = []
        var quoted = false        // the current field was opened with a quote
        var inQuotes = false      // inside the quotes of the current field
        var recordLine = 1
        var quoteLine = 1

        func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            quoted = false
        }
        func endRecord() {
            // A line with nothing on it is blank and skipped; `""` alone is one empty field.
            guard !(record.isEmpty && field.isEmpty && !quoted) else { return }
            endField()
            emit(record, recordLine)
            record.removeAll(keepingCapacity: true)
        }

        while i < bytes.count {
            let c = bytes[i]
            if inQuotes {
                if c == quote {
                    if i + 1 < bytes.count && bytes[i + 1] == quote { field.append(quote); i += 2; continue }
                    inQuotes = false
                } else {
                    if c == lf { line += 1 }
                    field.append(c)
                }
                i += 1
                continue
            }
            switch c {
            case quote:
                guard field.isEmpty && !quoted else {
                    throw DatasetError(file: file, position: .line(line, column: record.count + 1),
                                       message: "unexpected quote inside a field",
                                       hint: "wrap the whole field in quotes and write a quote inside it as \"\"")
                }
                quoted = true
                inQuotes = true
                quoteLine = line
            case comma:
                endField()
            case cr, lf:
                if c == cr && i + 1 < bytes.count && bytes[i + 1] == lf { i += 1 }
                endRecord()
                line += 1
                recordLine = line
            default:
                if quoted {
                    throw DatasetError(file: file, position: .line(line, column: record.count + 1),
                                       message: "text after the closing quote of a field",
                                       hint: "a quoted field must end at a comma or the end of the line")
                }
                field.append(c)
            }
            i += 1
        }
        if inQuotes {
            throw DatasetError(file: file, position: .line(quoteLine, column: record.count + 1),
                               message: "quoted field is never closed",
                               hint: "add the closing quote; write a quote inside a field as \"\"")
        }
        endRecord()
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return String(scalars[first...last])
    }
}
