// LineFollower: reads the lines appended to a file since the last look (metrics.jsonl of a
// running trial, a program's output), keeping a partial last line until it is complete.
import Foundation

/// Incremental reader of a growing text file.
public final class LineFollower {
    public let path: String
    private var offset: UInt64 = 0
    private var partial = Data()
    private var startMarker: String?
    /// The file read so far (device and inode): another one at `path` is read from its start.
    private var identity: (device: UInt64, inode: UInt64)?

    /// Follows `path` from its start; with `marker`, only the lines after a line equal to it;
    /// with `fromEnd` (default false), only what is written after now. A file replaced meanwhile
    /// (renamed over it) or cut shorter is read again from its start.
    public init(path: String, after marker: String? = nil, fromEnd: Bool = false) {
        self.path = path
        self.startMarker = marker
        var info = stat()
        if fromEnd, stat(path, &info) == 0 {
            offset = UInt64(info.st_size)
            identity = (UInt64(info.st_dev), UInt64(info.st_ino))
        }
    }

    /// Complete lines added since the previous call (none if the file does not exist yet).
    public func newLines() -> [String] {
        let lines = completeLines()
        guard let marker = startMarker else { return lines }
        guard let start = lines.lastIndex(of: marker) else { return [] }
        startMarker = nil
        return Array(lines[(start + 1)...])
    }

    private func completeLines() -> [String] {
        // Not blocking, and regular files only: a FIFO in a trial's folder must not hold the sweep.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return [] }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? handle.close() }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return [] }
        let current = (device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        if let known = identity, known != current || UInt64(info.st_size) < offset {
            offset = 0
            partial = Data()
        }
        identity = current
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else { return [] }
        offset += UInt64(data.count)
        partial.append(data)
        guard let lastNewline = partial.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        let complete = partial[partial.startIndex..<lastNewline]
        partial = Data(partial[partial.index(after: lastNewline)...])
        return String(decoding: complete, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}

/// Numeric fields of a JSON object line (booleans, strings, null and the rest dropped), or nil
/// if the line is not a JSON object. The bare `NaN`, `Infinity` and `-Infinity` that Python's
/// `json.dumps` prints are read as those numbers, so a program's non-finite metric is seen.
public func numericFields(ofJSONLine line: String) -> [String: Double]? {
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    guard trimmed.hasPrefix("{") else { return nil }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: nonFiniteTokens[1],
                                                                    negativeInfinity: nonFiniteTokens[0], nan: nonFiniteTokens[2])
    guard let fields = try? decoder.decode([String: NumericField].self, from: Data(quotingNonFiniteLiterals(trimmed).utf8)) else {
        return nil
    }
    return fields.compactMapValues(\.value)
}

/// The non-finite literals Python's json module writes (and reads), longest first.
private let nonFiniteTokens = ["-Infinity", "Infinity", "NaN"]

/// `json` with every bare `NaN`, `Infinity` and `-Infinity` outside strings put in quotes (the
/// form JSONDecoder's non-conforming float strategy reads); everything else unchanged.
func quotingNonFiniteLiterals(_ json: String) -> String {
    guard json.contains("NaN") || json.contains("Infinity") else { return json }
    var result = ""
    var inString = false, escaped = false
    var rest = Substring(json)
    while let c = rest.first {
        if inString {
            if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
        } else if c == "\"" {
            inString = true
        } else if let token = nonFiniteTokens.first(where: { rest.hasPrefix($0) }) {
            result += "\"" + token + "\""
            rest = rest.dropFirst(token.count)
            continue
        }
        result.append(c)
        rest = rest.dropFirst()
    }
    return result
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
