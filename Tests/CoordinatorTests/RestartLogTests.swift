// RestartLogTests: restarts.jsonl — appended records read back equal, and a damaged file (torn,
// garbage, invalid UTF-8, out-of-range, huge, empty) never crashes: bad lines counted, good ones kept.
import Foundation
import Testing
@testable import Coordinator

@Suite("RestartLog")
struct RestartLogTests {
    static let first = RestartRecord(
        time: "2026-12-06T13:00:00Z", restart: 1, cause: "lost_rank", rank: 1, host: "10.78.0.13",
        summary: "rank 1 on host 10.78.0.13 was killed (signal 9, Killed)", ranksBefore: 3, ranksAfter: 2,
        hosts: ["vm", "10.78.0.12"], droppedHosts: ["10.78.0.13"], failedAtStep: 130, resumedFromStep: 120, stepsLost: 10,
        secondsToTraining: 4.25)
    static let second = RestartRecord(
        time: "2026-12-06T13:05:00Z", restart: 2, cause: "silent_rank", rank: nil, host: nil,
        summary: "no reply from rank 1 or 2 within cluster.failure_timeout", ranksBefore: 2, ranksAfter: 1,
        hosts: [], droppedHosts: [], failedAtStep: nil, resumedFromStep: nil, stepsLost: nil, secondsToTraining: nil)

    /// A run folder whose restarts.jsonl holds `bytes`.
    static func folder(holding bytes: Data) throws -> String {
        let dir = try TestFolder.make()
        try bytes.write(to: URL(fileURLWithPath: dir + "/" + RestartLog.fileName))
        return dir
    }

    /// `record` as the one line `append` writes.
    static func line(_ record: RestartRecord) throws -> Data {
        let dir = try TestFolder.make()
        try RestartLog.append(record, runDirectory: dir)
        return try Data(contentsOf: URL(fileURLWithPath: dir + "/" + RestartLog.fileName))
    }

    @Test("two appended records read back equal, in order, each on one line with snake_case keys")
    func appendAndRead() throws {
        let dir = try TestFolder.make()
        try RestartLog.append(Self.first, runDirectory: dir)
        try RestartLog.append(Self.second, runDirectory: dir)
        let read = RestartLog.read(runDirectory: dir)
        #expect(read.records == [Self.first, Self.second])
        #expect(read.unreadable == 0)
        let text = try String(contentsOfFile: dir + "/" + RestartLog.fileName, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 2 && text.hasSuffix("\n"))
        #expect(text.contains("\"ranks_before\":3") && text.contains("\"dropped_hosts\":[\"10.78.0.13\"]"))
        #expect(text.contains("\"seconds_to_training\":4.25"))
    }

    @Test("no file: no records and nothing unreadable")
    func missing() throws {
        let read = RestartLog.read(runDirectory: try TestFolder.make())
        #expect(read.records.isEmpty && read.unreadable == 0)
    }

    @Test("append into a folder that does not exist is an error, not a crash")
    func appendFails() throws {
        #expect(throws: (any Error).self) { try RestartLog.append(Self.first, runDirectory: try TestFolder.make() + "/gone/deeper") }
    }

    /// A damaged file's contents around the two good lines, and how many lines cannot be read.
    struct Damage: CustomTestStringConvertible, Sendable {
        let label: String
        let bad: Data
        let unreadable: Int
        var testDescription: String { label }
    }

    static let damages: [Damage] = {
        let good = try! line(first)
        return [
            Damage(label: "empty", bad: Data(), unreadable: 0),
            Damage(label: "blank lines", bad: Data("\n  \n\r\n".utf8), unreadable: 0),
            Damage(label: "torn last line", bad: good.prefix(good.count / 2), unreadable: 1),
            Damage(label: "torn before the newline", bad: good.dropLast(2), unreadable: 1),
            Damage(label: "garbage bytes", bad: Data((0..<512).map { i -> UInt8 in
                let byte = UInt8(truncatingIfNeeded: i &* 7919 &+ 13)
                return byte == 0x0A ? 0x0B : byte
            }), unreadable: 1),
            Damage(label: "NUL bytes", bad: Data(repeating: 0, count: 64) + Data("\n".utf8), unreadable: 1),
            Damage(label: "invalid UTF-8", bad: Data([0x7B, 0x22, 0xFF, 0xFE, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D, 0x0A]), unreadable: 1),
            Damage(label: "invalid UTF-8 inside a good record",
                   bad: Data(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "lost_rank", with: "lost\u{1}rank")
                       .utf8.map { $0 == 1 ? 0xC0 : $0 }), unreadable: 1),
            Damage(label: "ranks_before 0",
                   bad: Data(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\"ranks_before\":3", with: "\"ranks_before\":0").utf8),
                   unreadable: 1),
            Damage(label: "ranks_after -1",
                   bad: Data(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\"ranks_after\":2", with: "\"ranks_after\":-1").utf8),
                   unreadable: 1),
            Damage(label: "restart 0",
                   bad: Data(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\"restart\":1", with: "\"restart\":0").utf8),
                   unreadable: 1),
            Damage(label: "a number too large", bad: Data(String(decoding: good, as: UTF8.self)
                       .replacingOccurrences(of: "\"restart\":1", with: "\"restart\":99999999999999999999999").utf8), unreadable: 1),
            Damage(label: "restart Int.max (the next one's number would overflow)", bad: Data(String(decoding: good, as: UTF8.self)
                       .replacingOccurrences(of: "\"restart\":1", with: "\"restart\":9223372036854775807").utf8), unreadable: 1),
            Damage(label: "missing key", bad: Data("{\"time\":\"x\",\"restart\":1}\n".utf8), unreadable: 1),
            Damage(label: "not an object", bad: Data("[]\nnull\n42\n\"text\"\n".utf8), unreadable: 4),
            Damage(label: "a huge line", bad: Data(repeating: UInt8(ascii: "a"), count: 8 << 20) + Data("\n".utf8), unreadable: 1),
            Damage(label: "a huge string in a record", bad: Data(String(decoding: good, as: UTF8.self)
                       .replacingOccurrences(of: "\"vm\"", with: "\"" + String(repeating: "v", count: 4 << 20) + "\"").utf8), unreadable: 0),
            Damage(label: "deep nesting", bad: Data((String(repeating: "[", count: 100_000) + "\n").utf8), unreadable: 1),
        ]
    }()

    @Test("a damaged file never crashes: bad lines are counted, the good ones kept", arguments: damages)
    func damaged(_ damage: Damage) throws {
        let good = try Self.line(Self.first) + Self.line(Self.second)
        let torn = damage.label.hasPrefix("torn")
        let bad = torn || damage.bad.isEmpty || damage.bad.last == 0x0A ? damage.bad : damage.bad + Data("\n".utf8)
        let bytes = torn ? good + bad : good + bad + good
        let read = RestartLog.read(runDirectory: try Self.folder(holding: bytes))
        let huge = damage.label == "a huge string in a record" ? 1 : 0
        let expected = torn ? 2 : 4
        #expect(read.records.count == expected + huge)
        #expect(read.unreadable == damage.unreadable)
        #expect(Array(read.records.prefix(2)) == [Self.first, Self.second])
        if damage.bad.isEmpty { #expect(read.records == [Self.first, Self.second, Self.first, Self.second]) }
    }

    @Test("a file of damage only: no records, every line counted")
    func onlyDamage() throws {
        let read = RestartLog.read(runDirectory: try Self.folder(holding: Data("{\n}\n{\"restart\":\n\u{7F}\n".utf8)))
        #expect(read.records.isEmpty && read.unreadable == 4)
    }
}
