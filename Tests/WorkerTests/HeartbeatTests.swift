// HeartbeatTests: rank 0's heartbeat file — a beat reads back as its step and time, a torn, garbage
// or oversized file reads as nothing, and every beat replaces the whole fixed-width line.
import Foundation
import Testing
@testable import Worker

@Suite("Heartbeat")
struct HeartbeatTests {
    /// A fresh run folder, removed by the caller.
    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "ringtrain-heartbeat-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func contents(_ dir: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: dir + "/" + Heartbeat.fileName))
    }

    @Test("a beat reads back as its step and a time between just before and just after it", arguments: [0, 1, 1234, 2_147_483_648, 999_999_999_999])
    func beatThenRead(step: Int) throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let heartbeat = try #require(Heartbeat(runDirectory: dir))
        let before = Date()
        heartbeat.beat(step: step)
        let after = Date()
        let read = try #require(Heartbeat.read(runDirectory: dir))
        #expect(read.step == step)
        #expect(read.time.timeIntervalSince1970 >= before.timeIntervalSince1970 - 1e-5)
        #expect(read.time.timeIntervalSince1970 <= after.timeIntervalSince1970 + 1e-5)
    }

    @Test("no heartbeat file, or a folder that does not exist: nothing")
    func missing() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(Heartbeat.read(runDirectory: dir) == nil)
        #expect(Heartbeat(runDirectory: dir + "/no/such/folder") == nil)
    }

    @Test("a torn, garbage, edited or oversized file reads as nothing", arguments: [
        "", "step", "step 000000000012", "step 000000000012 time", "step 000000000012 time 17650",
        "step 000000000012 time 1765000000.0000",
        "step -00000000001 time 1765000000.000000\n", "step 000000000012 time nan\n", "step 000000000012 time inf\n",
        "step 000000000012 time 0.000000\n", "step 000000000012 time 1e300\n", "step 000000000012 time -1765000000.0\n",
        "step 99999999999999999999999 time 1765000000.000000\n", "beat 000000000012 time 1765000000.000000\n",
        "step 000000000012 when 1765000000.000000\n", "step 000000000012 time 1765000000.000000 extra\n",
        "step twelve time 1765000000.000000\n", "\u{0}\u{0}\u{0}\u{0}", "step 000000000012 time 1765000000.000000\n"
            + String(repeating: " ", count: 5000),
    ])
    func unreadable(text: String) throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try text.write(toFile: dir + "/" + Heartbeat.fileName, atomically: false, encoding: .utf8)
        #expect(Heartbeat.read(runDirectory: dir) == nil)
    }

    @Test("invalid UTF-8 and random bytes read as nothing")
    func garbageBytes() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + Heartbeat.fileName
        for bytes in [Data([0xFF, 0xFE, 0xC3, 0x28]), Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }),
                      Data("step 000000000012 time 1765000000.000000\n".utf8).prefix(20) + Data([0xFF])] {
            try bytes.write(to: URL(fileURLWithPath: path))
            #expect(Heartbeat.read(runDirectory: dir) == nil)
        }
    }

    @Test("a written line reads back as written")
    func writtenLine() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Heartbeat.line(step: 42, time: 1_765_000_000.25).write(toFile: dir + "/" + Heartbeat.fileName, atomically: false, encoding: .utf8)
        let read = try #require(Heartbeat.read(runDirectory: dir))
        #expect(read.step == 42 && read.time == Date(timeIntervalSince1970: 1_765_000_000.25))
    }

    @Test("every line has the same width, whatever the step", arguments: [0, 7, 123_456, 2_147_483_648, 999_999_999_999, 5_000_000_000_000])
    func fixedWidth(step: Int) {
        let line = Heartbeat.line(step: step, time: 1_765_000_000.123456)
        #expect(line.utf8.count == Heartbeat.line(step: 0, time: 1_765_000_000).utf8.count, "\(line)")
        let digits = String(min(step, 999_999_999_999))
        #expect(line == "step " + String(repeating: "0", count: 12 - digits.count) + digits + " time 1765000000.123456\n")
    }

    @Test("a second beat with a smaller step replaces the whole line")
    func smallerStepOverwrites() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let heartbeat = try #require(Heartbeat(runDirectory: dir))
        heartbeat.beat(step: 987_654_321)
        let width = try Self.contents(dir).count
        heartbeat.beat(step: 7)
        #expect(try Self.contents(dir).count == width)
        #expect(Heartbeat.read(runDirectory: dir)?.step == 7)
        let reopened = try #require(Heartbeat(runDirectory: dir))
        reopened.beat(step: 3)
        #expect(Heartbeat.read(runDirectory: dir)?.step == 3)
        #expect(try Self.contents(dir).count == width)
    }

    @Test("the first beat replaces a longer file left in the folder")
    func longerFileReplaced() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try (String(repeating: "x", count: 200) + "\n").write(toFile: dir + "/" + Heartbeat.fileName, atomically: false, encoding: .utf8)
        let heartbeat = try #require(Heartbeat(runDirectory: dir))
        heartbeat.beat(step: 5)
        #expect(Heartbeat.read(runDirectory: dir)?.step == 5)
        #expect(try Self.contents(dir).count == Heartbeat.line(step: 5, time: 1_765_000_000).utf8.count)
    }
}
