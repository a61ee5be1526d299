// RestartLog: a run's `restarts.jsonl` — a JSON line per automatic restart written before it takes
// effect (when, why, which rank and host, ranks and hosts, the step resumed from, steps lost), and
// a second line once the restarted run trains again (seconds from the failure).
import Foundation
import Worker

/// One automatic restart, as recorded in `restarts.jsonl`.
public struct RestartRecord: Codable, Sendable, Equatable {
    /// When the failure was seen (ISO 8601, UTC).
    public var time: String
    /// This restart's number in the run folder (1 for the first).
    public var restart: Int
    /// What ended the attempt (`RunFailure.kind`).
    public var cause: String
    /// The rank and host the failure names, when known.
    public var rank: Int?
    /// The host the failure names, when known.
    public var host: String?
    /// The failure in words.
    public var summary: String
    /// Ranks of the attempt that failed.
    public var ranksBefore: Int
    /// Ranks of the restarted run.
    public var ranksAfter: Int
    /// Hosts the restart runs on (empty: this machine only) and those left out (failed the pre-flight).
    public var hosts: [String]
    public var droppedHosts: [String]
    /// The newest step rank 0 had finished before the failure (from its heartbeat), when known.
    public var failedAtStep: Int?
    /// The checkpoint step the restart resumes from (nil: from the start, no checkpoint yet).
    public var resumedFromStep: Int?
    /// `failedAtStep - resumedFromStep`: steps trained again.
    public var stepsLost: Int?
    /// Seconds from the failure until the restarted run finished its first step (nil: not yet,
    /// or it did not; filled in from the restart's second line).
    public var secondsToTraining: Double?

    enum CodingKeys: String, CodingKey {
        case time, restart, cause, rank, host, summary, hosts
        case ranksBefore = "ranks_before", ranksAfter = "ranks_after", droppedHosts = "dropped_hosts"
        case failedAtStep = "failed_at_step", resumedFromStep = "resumed_from_step", stepsLost = "steps_lost"
        case secondsToTraining = "seconds_to_training"
    }

    /// The line printed when the restart is decided.
    public var line: String {
        let lost = stepsLost.map { ", \($0) step\($0 == 1 ? "" : "s") lost" } ?? ""
        let from = resumedFromStep.map { "from step \($0)" } ?? "from the start"
        let dropped = droppedHosts.isEmpty ? "" : "; left out host\(droppedHosts.count == 1 ? "" : "s") \(droppedHosts.joined(separator: ", "))"
        let again = secondsToTraining.map { String(format: "; training again %.1f s after the failure", $0) } ?? ""
        return "restart \(restart): \(summary); \(ranksBefore) → \(ranksAfter) ranks \(from)\(lost)\(dropped)\(again)"
    }
}

/// A restart's second line: the restarted run has finished its first step.
struct TrainingAgain: Codable {
    /// Always `training_again`: tells this line from a record.
    var event = "training_again"
    var restart: Int
    var secondsToTraining: Double
    enum CodingKeys: String, CodingKey { case event, restart, secondsToTraining = "seconds_to_training" }
}

/// The `restarts.jsonl` of a run folder.
public enum RestartLog {
    /// The file's name in the run folder.
    public static let fileName = "restarts.jsonl"

    /// Appends `record` as one line and syncs it to disk.
    public static func append(_ record: RestartRecord, runDirectory: String) throws {
        try append(encoded: record, runDirectory: runDirectory)
    }

    /// Appends the second line of restart `restart`: training again `seconds` after the failure.
    public static func appendTrainingAgain(restart: Int, seconds: Double, runDirectory: String) throws {
        try append(encoded: TrainingAgain(restart: restart, secondsToTraining: seconds), runDirectory: runDirectory)
    }

    private static func append(encoded value: some Encodable, runDirectory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = try encoder.encode(value) + Data("\n".utf8)
        let path = runDirectory + "/" + fileName
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard fd >= 0 else { throw TrainingError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // A line torn by a crash must not swallow this one: start on a line of its own.
        var last: UInt8 = 10
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size > 0 { _ = pread(fd, &last, 1, info.st_size - 1) }
        let bytes = last == 10 ? line : Data("\n".utf8) + line
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else { throw TrainingError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// The largest restart number read: a file within `sizeLimit` holds far fewer records, so a
    /// larger one is damage (and the next restart's number would overflow).
    static let mostRestarts = 1 << 30

    /// The most a restarts.jsonl is read of (64 MiB; a record takes about 400 bytes).
    public static let sizeLimit = 64 << 20

    /// The records of `runDirectory` in order, each with its second line's time to training when
    /// there is one, and how many lines could not be read as either (a
    /// torn last line after a crash, or an edited file): those are skipped, never trusted. A file
    /// that cannot be read at all (a link, not a regular file, over `sizeLimit`) counts as one.
    public static func read(runDirectory: String) -> (records: [RestartRecord], unreadable: Int) {
        let data: Data
        do {
            guard let read = try CheckpointFiles.readSmall(runDirectory + "/" + fileName, limit: sizeLimit) else { return ([], 0) }
            data = read
        } catch {
            return ([], 1)
        }
        var records: [RestartRecord] = []
        var unreadable = 0
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.allSatisfy({ $0 == 32 || $0 == 13 }) {
            if let record = try? JSONDecoder().decode(RestartRecord.self, from: Data(line)), (1...mostRestarts).contains(record.restart),
               record.ranksBefore >= 1, record.ranksAfter >= 1 {
                records.append(record)
            } else if let again = try? JSONDecoder().decode(TrainingAgain.self, from: Data(line)), again.event == "training_again",
                      again.secondsToTraining.isFinite, again.secondsToTraining >= 0,
                      let index = records.lastIndex(where: { $0.restart == again.restart }) {
                records[index].secondsToTraining = again.secondsToTraining
            } else {
                unreadable += 1
            }
        }
        return (records, unreadable)
    }
}
