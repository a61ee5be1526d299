// TimelineFiles: reads the rank files a run with `job.timeline` wrote (timeline/rank-R.jsonl) a
// line at a time — session headers and spans — so a long run's timeline is never held whole;
// lines that do not parse (a rank killed mid-write leaves a torn one) are counted and skipped.
import Foundation
import Model
import Worker

/// One recorded span, as `TimelineRecorder` wrote it.
public struct TimelineSpan: Sendable, Equatable {
    /// The phase's name (`StepPhase.name`) or `step`.
    public var name: String
    /// The step the span belongs to (1-based), or for spans between steps the steps done.
    public var step: Int
    /// True for spans inside a step; false for those between steps (evaluation, checkpoint).
    public var inStep: Bool
    /// Nanoseconds from the session's aligned zero, and the length.
    public var beginNanoseconds: Int
    public var durationNanoseconds: Int
    public var microStep: Int?
    public var layer: Int?
    public var bytes: Int?
    public var wireBytes: Int?
    public var failed: Bool

    /// Where the span ends, in nanoseconds from the session's zero.
    public var endNanoseconds: Int { beginNanoseconds + durationNanoseconds }
}

/// One line of a rank file.
public enum TimelineLine: Sendable, Equatable {
    /// A session's header.
    case header(TimelineHeader)
    case span(TimelineSpan)
    /// Neither (torn, damaged or foreign).
    case unreadable
}

/// The rank files of a run folder.
public enum TimelineFiles {
    /// The folder holding the rank files.
    public static func folder(of runDirectory: String) -> String { runDirectory + "/" + TimelineRecorder.folderName }

    /// The rank files of `runDirectory`, by rank: only `rank-R.jsonl` with R written as the
    /// recorder writes it (`rank-01.jsonl` is not rank 1's).
    /// - Throws: `ConfigError` when there is none (the run did not record a timeline).
    public static func rankFiles(runDirectory: String) throws -> [(rank: Int, path: String)] {
        let folder = folder(of: runDirectory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let files = names.compactMap { name -> (rank: Int, path: String)? in
            guard name.hasPrefix("rank-"), name.hasSuffix(".jsonl"), let rank = Int(name.dropFirst(5).dropLast(6)),
                  rank >= 0, name == TimelineRecorder.fileName(rank: rank) else { return nil }
            return (rank, folder + "/" + name)
        }.sorted { $0.rank < $1.rank }
        guard !files.isEmpty else {
            throw ConfigError(file: runDirectory, keyPath: "", message: "no timeline was recorded in this run folder (no \(TimelineRecorder.folderName)/rank-*.jsonl)",
                              hint: "train with --timeline (or job.timeline: true) to record one")
        }
        return files
    }

    /// Calls `body` with each line of the regular file at `path` (not followed through a link),
    /// read in pieces of 1 MiB. `headersOnly` skips lines that cannot be a header unparsed.
    /// - Throws: `ConfigError` naming the file when it cannot be opened or read.
    public static func forEachLine(_ path: String, headersOnly: Bool = false, _ body: (TimelineLine) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            let reason = fd < 0 ? String(cString: strerror(errno)) : "not a regular file"
            if fd >= 0 { close(fd) }
            throw ConfigError(file: path, keyPath: "", message: "cannot read this timeline file: \(reason)")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? handle.close() }
        var pending = Data()
        let marker = Data("\"wall_zero_us\"".utf8)
        func emit(_ line: Data) throws {
            guard !line.isEmpty else { return }
            if headersOnly && line.range(of: marker) == nil { return }
            try body(parse(line))
        }
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw ConfigError(file: path, keyPath: "", message: "cannot read this timeline file: \(error.fileErrorText)")
            }
            if chunk.isEmpty { break }
            pending.append(chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                try emit(pending[start..<newline])
                start = newline + 1
            }
            pending = Data(pending[start...])
        }
        try emit(pending)
    }

    /// One line: a header (it has `wall_zero_us`), a span, or unreadable.
    public static func parse(_ line: Data) -> TimelineLine {
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { return .unreadable }
        if object["span"] != nil { return span(object).map(TimelineLine.span) ?? .unreadable }
        if object["wall_zero_us"] != nil, let header = try? JSONDecoder().decode(TimelineHeader.self, from: line),
           (0...mostWallMicroseconds).contains(header.wallZeroMicroseconds) { return .header(header) }
        return .unreadable
    }

    /// The largest `wall_zero_us` read (2^52 µs after 1970: the year 2112), and the largest
    /// `begin_ns`, `dur_ns` (2^56 ns: 2.3 years) and byte count (2^44: 16 TiB) of a span. A line
    /// past them is damaged, and the sums a trace is built from cannot overflow.
    static let mostWallMicroseconds = 1 << 52, mostNanoseconds = 1 << 56, mostBytes = 1 << 44

    /// A span line's fields; nil when a required one is missing or out of range.
    static func span(_ o: [String: Any]) -> TimelineSpan? {
        func int(_ key: String) -> Int? { (o[key] as? NSNumber).flatMap { Int(exactly: $0.doubleValue) } }
        guard let name = o["span"] as? String, let begin = int("begin_ns"), let duration = int("dur_ns"),
              (0...mostNanoseconds).contains(begin), (0...mostNanoseconds).contains(duration) else { return nil }
        for key in ["bytes", "wire_bytes"] where o[key] != nil {
            guard let count = int(key), (0...mostBytes).contains(count) else { return nil }
        }
        let inStep = o["step"] != nil
        guard let step = int(inStep ? "step" : "after_step"), step >= 0 else { return nil }
        return TimelineSpan(name: name, step: step, inStep: inStep, beginNanoseconds: begin, durationNanoseconds: duration,
                            microStep: int("micro"), layer: int("layer"), bytes: int("bytes"), wireBytes: int("wire_bytes"),
                            failed: o["failed"] as? Bool ?? false)
    }
}
