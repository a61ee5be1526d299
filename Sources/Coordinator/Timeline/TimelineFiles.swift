// TimelineFiles: reads the rank files a run with `job.timeline` wrote (timeline/rank-R.jsonl):
// each rank's sessions, a header and its spans, skipping and counting lines that do not parse
// (a rank killed mid-write leaves a torn last line).
import Foundation
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

/// One rank's recording of one session (a run, or one resume of it).
public struct TimelineSession: Sendable {
    public var header: TimelineHeader
    public var spans: [TimelineSpan]
}

/// Every session one rank recorded, oldest first.
public struct RankTimeline: Sendable {
    public var rank: Int
    public var sessions: [TimelineSession]
    /// Lines that are neither a header nor a span (skipped).
    public var unreadableLines: Int
}

/// The rank files of a run folder.
public enum TimelineFiles {
    /// Largest rank file read (a longer run's timeline is cut by recording fewer steps).
    public static let sizeLimit = 4 << 30

    /// The folder holding the rank files.
    public static func folder(of runDirectory: String) -> String { runDirectory + "/" + TimelineRecorder.folderName }

    /// Reads every rank file of `runDirectory`, by rank. Throws `ConfigError` when there is none
    /// (the run did not record a timeline) or one cannot be read.
    public static func read(runDirectory: String) throws -> [RankTimeline] {
        let folder = folder(of: runDirectory)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasPrefix("rank-") && $0.hasSuffix(".jsonl") }
        let ranks = names.compactMap { name in Int(name.dropFirst(5).dropLast(6)).map { (rank: $0, name: name) } }
            .filter { $0.rank >= 0 }.sorted { $0.rank < $1.rank }
        guard !ranks.isEmpty else {
            throw ConfigError(file: runDirectory, keyPath: "", message: "no timeline was recorded in this run folder (no \(TimelineRecorder.folderName)/rank-*.jsonl)",
                              hint: "train with --timeline (or job.timeline: true) to record one")
        }
        return try ranks.map { entry in
            let path = folder + "/" + entry.name
            let data: Data
            do {
                data = try CheckpointFiles.readSmall(path, limit: sizeLimit) ?? Data()
            } catch {
                throw ConfigError(file: path, keyPath: "", message: "cannot read this timeline file: \(error)")
            }
            return parse(data, rank: entry.rank)
        }
    }

    /// One rank file's sessions; spans before any header, and lines that do not parse, are counted.
    static func parse(_ data: Data, rank: Int) -> RankTimeline {
        var result = RankTimeline(rank: rank, sessions: [], unreadableLines: 0)
        let decoder = JSONDecoder()
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            if let object, let span = span(object), !result.sessions.isEmpty {
                result.sessions[result.sessions.count - 1].spans.append(span)
            } else if object?["timeline"] != nil, let header = try? decoder.decode(TimelineHeader.self, from: Data(line)) {
                result.sessions.append(TimelineSession(header: header, spans: []))
            } else {
                result.unreadableLines += 1
            }
        }
        return result
    }

    /// A span line's fields; nil when a required one is missing or out of range.
    static func span(_ o: [String: Any]) -> TimelineSpan? {
        func int(_ key: String) -> Int? { (o[key] as? NSNumber).flatMap { Int(exactly: $0.doubleValue) } }
        guard let name = o["span"] as? String, let begin = int("begin_ns"), let duration = int("dur_ns"),
              begin >= 0, duration >= 0 else { return nil }
        let inStep = o["step"] != nil
        guard let step = int(inStep ? "step" : "after_step"), step >= 0 else { return nil }
        return TimelineSpan(name: name, step: step, inStep: inStep, beginNanoseconds: begin, durationNanoseconds: duration,
                            microStep: int("micro"), layer: int("layer"), bytes: int("bytes"), wireBytes: int("wire_bytes"),
                            failed: o["failed"] as? Bool ?? false)
    }
}
