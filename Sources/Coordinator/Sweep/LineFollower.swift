// LineFollower: reads the lines appended to a file since the last look (metrics.jsonl of a
// running trial, a program's output), keeping a partial last line until it is complete.
import Foundation

/// Incremental reader of a growing text file.
public final class LineFollower {
    public let path: String
    private var offset: UInt64 = 0
    private var partial = Data()
    /// The inode read last: a file replaced whole (a resumed run cuts its metrics back) is read
    /// again from its start.
    private var inode: UInt64?
    private var startMarker: String?

    /// Follows `path` from its start; with `marker`, only the lines after a line equal to it.
    public init(path: String, after marker: String? = nil) {
        self.path = path
        self.startMarker = marker
    }

    /// Complete lines added since the previous call (none if the file does not exist yet); after
    /// the file was replaced or shortened, every line of the new file.
    public func newLines() -> [String] {
        let lines = completeLines()
        guard let marker = startMarker else { return lines }
        guard let start = lines.lastIndex(of: marker) else { return [] }
        startMarker = nil
        return Array(lines[(start + 1)...])
    }

    private func completeLines() -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        var status = stat()
        if fstat(handle.fileDescriptor, &status) == 0 {
            let current = UInt64(status.st_ino)
            if let inode, inode != current || UInt64(status.st_size) < offset {
                offset = 0
                partial = Data()
            }
            inode = current
        }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else { return [] }
        offset += UInt64(data.count)
        partial.append(data)
        guard let lastNewline = partial.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        let complete = partial[partial.startIndex..<lastNewline]
        partial = Data(partial[partial.index(after: lastNewline)...])
        return String(decoding: complete, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}

/// Numeric fields of a JSON object line (booleans, strings and the rest dropped), or nil if the
/// line is not a JSON object.
public func numericFields(ofJSONLine line: String) -> [String: Double]? {
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    guard trimmed.hasPrefix("{"),
          let fields = try? JSONDecoder().decode([String: NumericField].self, from: Data(trimmed.utf8)) else { return nil }
    return fields.compactMapValues(\.value)
}

/// A JSON value that is kept only when it is a number (true/false are not numbers here).
private struct NumericField: Decodable {
    let value: Double?
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if (try? container.decode(Bool.self)) != nil { value = nil; return }
        value = try? container.decode(Double.self)
    }
}
