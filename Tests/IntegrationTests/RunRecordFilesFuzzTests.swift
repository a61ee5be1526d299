// RunRecordFilesFuzzTests: a run folder's restarts.jsonl and heartbeat damaged every way a disk or a
// person can — torn, garbage, wrong types, huge, a link to /dev/zero, a FIFO, a folder — and
// `ringtrain status` and `resume` still answer (skipping what cannot be read), never crash or hang.
import Foundation
import Testing

@Suite(.serialized)
struct RunRecordFilesFuzzTests {
    /// A record as `ringtrain train` writes it.
    static func record(_ restart: Int) -> String {
        #"{"cause":"lost_rank","dropped_hosts":[],"failed_at_step":7,"host":"vm","hosts":[],"rank":1,"ranks_after":2,"ranks_before":2,"#
            + #""restart":\#(restart),"resumed_from_step":4,"seconds_to_training":2.5,"steps_lost":3,"summary":"rank 1 on host vm was killed","#
            + #""time":"2026-12-06T13:16:35Z"}"#
    }

    /// A damage to one file of the run folder, and the restart records `status` still shows.
    struct Damage: CustomStringConvertible, Sendable {
        let description: String
        let file: String
        let records: Int
        let make: @Sendable (String) throws -> Void
    }

    static func text(_ name: String, _ file: String, records: Int, _ body: String) -> Damage {
        Damage(description: name, file: file, records: records) { path in try Data(body.utf8).write(to: URL(fileURLWithPath: path)) }
    }
    static func bytes(_ name: String, _ file: String, records: Int, _ body: [UInt8]) -> Damage {
        Damage(description: name, file: file, records: records) { path in try Data(body).write(to: URL(fileURLWithPath: path)) }
    }

    static let damages: [Damage] = {
        let r = "restarts.jsonl", h = "heartbeat"
        let good = record(1) + "\n" + record(2) + "\n"
        return [
            text("two records", r, records: 2, good),
            text("torn last line", r, records: 2, good + String(record(3).prefix(40))),
            text("a garbage line", r, records: 2, record(1) + "\n}{not json\n" + record(2) + "\n"),
            bytes("invalid UTF-8", r, records: 1, Array((record(1) + "\n").utf8) + [0xff, 0xfe, 0x80, 10]),
            text("a field of the wrong type", r, records: 1, good.replacingOccurrences(of: "\"restart\":2", with: "\"restart\":\"two\"")),
            text("ranks_before 0", r, records: 1, good.replacingOccurrences(of: "\"ranks_before\":2,\"restart\":2", with: "\"ranks_before\":0,\"restart\":2")),
            text("empty", r, records: 0, ""),
            Damage(description: "larger than the limit", file: r, records: 0) { path in
                try Data(repeating: UInt8(ascii: "x"), count: (64 << 20) + 10).write(to: URL(fileURLWithPath: path))
            },
            text("a second line without its record", r, records: 1,
                 record(1) + "\n" + #"{"event":"training_again","restart":7,"seconds_to_training":3}"# + "\n"),
            Damage(description: "a link to /dev/zero", file: r, records: 0) { path in
                try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/zero")
            },
            Damage(description: "a FIFO", file: r, records: 0) { path in #expect(mkfifo(path, 0o644) == 0) },
            Damage(description: "a folder", file: r, records: 0) { path in
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            },
            text("heartbeat garbage", h, records: 0, "step x time y\n"),
            text("heartbeat huge step", h, records: 0, "step 99999999999999999999999 time 1796562554.8\n"),
            text("heartbeat NaN time", h, records: 0, "step 000000000012 time nan\n"),
            Damage(description: "heartbeat a link to /dev/zero", file: h, records: 0) { path in
                try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/zero")
            },
            Damage(description: "heartbeat a FIFO", file: h, records: 0) { path in #expect(mkfifo(path, 0o644) == 0) },
        ]
    }()

    @Test("status and resume read past a damaged restarts.jsonl or heartbeat", arguments: damages)
    func damaged(_ damage: Damage) throws {
        let tiny = try TinyRun(epochs: 1)
        let trained = try tiny.train("run")
        try #require(trained.status == 0, "\(trained.output)")
        let run = tiny.dir + "/run"
        try? FileManager.default.removeItem(atPath: run + "/" + damage.file)
        try damage.make(run + "/" + damage.file)

        let status = try TinyRun.ringtrain(["status", run, "--json"], timeout: 30)
        #expect(!status.timedOut && status.status == 0, "\(status.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], "\(status.output)")
        #expect((object["restarts"] as? [Any])?.count == damage.records, "\(object)")
        #expect(object["state"] as? String == "finished", "\(object)")
        if damage.file == "heartbeat" && damage.description != "heartbeat a FIFO" { #expect(object["step"] == nil, "\(object)") }
        let text = try TinyRun.ringtrain(["status", run], timeout: 30)
        #expect(text.status == 0 && text.stdout.contains("restarts: \(damage.records)"), "\(text.output)")

        let resumed = try TinyRun.ringtrain(["resume", run, "--set", "job.epochs=2"], timeout: 60)
        #expect(!resumed.timedOut && resumed.status == 0, "\(resumed.output)")
    }

    @Test("a new run in a folder without a checkpoint does not inherit an earlier attempt's restarts or heartbeat")
    func freshRunStartsItsOwnRecord() throws {
        let tiny = try TinyRun(epochs: 1)
        let run = tiny.dir + "/run"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        try "ringtrain run folder\n".write(toFile: run + "/.ringtrain-run", atomically: false, encoding: .utf8)
        try (Self.record(1) + "\n").write(toFile: run + "/restarts.jsonl", atomically: false, encoding: .utf8)
        try "step 000000000999 time 0000001796562554.844800\n".write(toFile: run + "/heartbeat", atomically: false, encoding: .utf8)
        let trained = try tiny.train("run")
        #expect(trained.status == 0, "\(trained.output)")
        let status = try TinyRun.ringtrain(["status", run, "--json"], timeout: 30)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], "\(status.output)")
        #expect((object["restarts"] as? [Any])?.isEmpty == true, "\(object)")
        #expect(object["step"] as? Int == 10, "the heartbeat is this run's: \(object)")
    }
}
