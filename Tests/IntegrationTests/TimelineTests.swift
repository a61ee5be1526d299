// TimelineTests: `--timeline` under real mpirun — the per-rank files, the merged Chrome trace
// checked by a reader written apart from the writer (Fixtures/check_chrome_trace.py), a resume at
// another rank count appending a session, and a rank slowed on purpose named as the straggler.
import Foundation
import Testing

@Suite(.serialized)
struct TimelineTests {
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/check_chrome_trace.py").path

    /// The checker's findings for `trace` of `ranks` ranks; fails the test on any problem.
    static func check(_ trace: String, ranks: Int) throws -> [String: Any] {
        let result = try ProcessRunner.run("/usr/bin/env", ["python3", checker, trace, String(ranks)], timeout: 120)
        let findings = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.output)")
        #expect(result.status == 0, "\(findings["problems"] ?? result.output)")
        return findings
    }

    /// The JSON lines of a rank file.
    static func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)")
        }
    }

    @Test("2 ranks with --timeline, resumed on 1: rank files, a trace a viewer reads, every step's phases, sessions appended")
    func twoRanksThenOne() throws {
        // 512 hidden units: steps long enough that the debug build's own cost between phases stays small.
        let tiny = try TinyRun(epochs: 2, hidden: 512)
        let run = tiny.dir + "/run"
        let first = try tiny.train("run", ["--ranks", "2", "--timeline"])
        try #require(first.status == 0, "\(first.output)")
        #expect(first.stdout.contains("timeline: \(run)/timeline.json"), "\(first.stdout)")
        // Whether a straggler is named is not asserted: with 2 cores, rank 0 shares one with mpirun and
        // the launcher, and at these sub-millisecond steps it can be consistently slower (see straggler()).
        #expect(first.stdout.contains("own work ms"), "\(first.stdout)")
        let findings = try Self.check(run + "/timeline.json", ranks: 2)
        #expect(findings["steps_per_rank"] as? [String: Int] == ["0": 20, "1": 20], "\(findings)")
        let names = Set(findings["span_names"] as? [String] ?? [])
        for name in ["step", "gather", "forward", "backward", "backward fc1", "backward relu1", "backward out", "exchange", "reduce_scatter", "update",
                     "all_gather", "finite_check", "evaluation", "checkpoint", "checkpoint_write", "barrier"] {
            #expect(names.contains(name), "no \(name) span: \(names)")
        }
        #expect(findings["counter_processes"] as? [Int] == [0, 1])

        // The rank files: one session each; the bytes each collective sends: none, since the two
        // ranks of this host average in memory they share.
        let rank1 = try Self.lines(run + "/timeline/rank-1.jsonl")
        #expect(rank1.first?["rank"] as? Int == 1 && rank1.first?["ranks"] as? Int == 2 && rank1.first?["first_step"] as? Int == 0)
        let scatter = try #require(rank1.first { $0["span"] as? String == "reduce_scatter" })
        #expect(try #require(scatter["bytes"] as? Int) > 0 && scatter["wire_bytes"] as? Int == 0, "no message leaves a rank: \(scatter)")
        #expect(rank1.filter { $0["span"] as? String == "checkpoint_write" }.isEmpty, "only rank 0 writes")

        // Resumed on one rank for a third epoch: a second session on rank 0, rank 1's file kept.
        let resumed = try TinyRun.ringtrain(["resume", run, "--ranks", "1", "--set", "job.epochs=3"])
        try #require(resumed.status == 0, "\(resumed.output)")
        let rank0 = try Self.lines(run + "/timeline/rank-0.jsonl")
        let headers = rank0.filter { $0["timeline"] != nil }
        #expect(headers.map { $0["first_step"] as? Int } == [0, 20] && headers.map { $0["ranks"] as? Int } == [2, 1], "\(headers)")
        let again = try Self.check(run + "/timeline.json", ranks: 2)
        #expect(again["steps_per_rank"] as? [String: Int] == ["0": 30, "1": 20], "\(again)")

        // `ringtrain timeline` merges again; --json for scripts.
        let merged = try TinyRun.ringtrain(["timeline", run, "--json"])
        try #require(merged.status == 0, "\(merged.output)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(merged.stdout.utf8)) as? [String: Any])
        #expect(summary["steps"] as? Int == 30 && (summary["ranks"] as? [Any])?.count == 2, "\(summary)")
    }

    @Test("a rank slowed on purpose is named as the straggler; ranks slowed alike are not")
    func straggler() throws {
        let tiny = try TinyRun(epochs: 3)
        let slowed = try tiny.train("slowed", ["--ranks", "2", "--timeline"],
                                    environment: ["RINGTRAIN_TEST_STEP_DELAY": "0.02", "RINGTRAIN_TEST_SLOW_RANK": "1"])
        try #require(slowed.status == 0, "\(slowed.output)")
        #expect(slowed.stdout.contains("rank 1 on ") && slowed.stdout.contains("is a straggler"), "\(slowed.stdout)")
        let merged = try TinyRun.ringtrain(["timeline", tiny.dir + "/slowed", "--json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(merged.stdout.utf8)) as? [String: Any], "\(merged.output)")
        let named = try #require(summary["straggler"] as? [String: Any], "\(summary)")
        #expect(named["rank"] as? Int == 1)
        #expect((named["own_work_ms"] as? Double ?? 0) >= 20, "it sleeps 20 ms a step: \(named)")
        let trace = try String(contentsOfFile: tiny.dir + "/slowed/timeline.json", encoding: .utf8)
        #expect(trace.contains("\"straggler\":\"rank 1 on "))

        let alike = try tiny.train("alike", ["--ranks", "2", "--timeline"], environment: ["RINGTRAIN_TEST_STEP_DELAY": "0.02"])
        try #require(alike.status == 0, "\(alike.output)")
        #expect(alike.stdout.contains("no straggler"), "\(alike.stdout)")
    }

    @Test("without --timeline nothing is recorded and `ringtrain timeline` says so; a torn line is skipped and counted")
    func offAndDamaged() throws {
        let tiny = try TinyRun(epochs: 1, hidden: 512)
        let plain = try tiny.train("plain")
        try #require(plain.status == 0, "\(plain.output)")
        #expect(!FileManager.default.fileExists(atPath: tiny.dir + "/plain/timeline"))
        let none = try TinyRun.ringtrain(["timeline", tiny.dir + "/plain"])
        #expect(none.status == 2 && none.stderr.contains("no timeline was recorded") && none.stderr.contains("--timeline"), "\(none.output)")

        let recorded = try tiny.train("recorded", ["--set", "job.timeline=true"])
        try #require(recorded.status == 0, "\(recorded.output)")
        let file = try #require(FileHandle(forWritingAtPath: tiny.dir + "/recorded/timeline/rank-0.jsonl"))
        try file.seekToEnd()
        try file.write(contentsOf: Data("{\"span\":\"forward\",\"step\":11,\"begin_".utf8))   // a rank killed mid-write
        try file.close()
        let merged = try TinyRun.ringtrain(["timeline", tiny.dir + "/recorded"])
        #expect(merged.status == 0 && merged.stdout.contains("1 unreadable line of the rank files skipped"), "\(merged.output)")
        _ = try Self.check(tiny.dir + "/recorded/timeline.json", ranks: 1)
    }

    @Test("a failed run's timeline is merged; a run started afresh in the folder drops it; a torn line does not hide the next session")
    func failuresAndLeftovers() throws {
        let tiny = try TinyRun(epochs: 2, job: "  checkpoint: {every_steps: 4, keep_last: 2}", hidden: 512)
        let run = tiny.dir + "/run"
        let failed = try tiny.train("run", ["--timeline", "--fail-rank", "0", "--fail-step", "3", "--fail-mode", "error"])
        #expect(failed.status != 0, "\(failed.output)")
        let trace = try Self.check(run + "/timeline.json", ranks: 1)
        #expect(trace["steps_per_rank"] as? [String: Int] == ["0": 3], "\(trace)")
        // The same job again in the folder (no checkpoint yet), without --timeline: the old one goes.
        let again = try tiny.train("run", ["--fail-rank", "0", "--fail-step", "6", "--fail-mode", "signal"])
        #expect(again.status == 3, "\(again.output)")
        #expect(!FileManager.default.fileExists(atPath: run + "/timeline") && !FileManager.default.fileExists(atPath: run + "/timeline.json"))
        let saved = try #require(tiny.latest("run").flatMap { Int($0.dropFirst("step-".count)) }, "no checkpoint")

        // Recording from a resume on; a rank killed mid-line leaves a torn line before the next session.
        let resumed = try TinyRun.ringtrain(["resume", run, "--timeline", "--set", "job.epochs=3"], environment: ["RINGTRAIN_TEST_STEP_DELAY": "0"])
        try #require(resumed.status == 0, "\(resumed.output)")
        let file = try #require(FileHandle(forWritingAtPath: run + "/timeline/rank-0.jsonl"))
        try file.seekToEnd()
        try file.write(contentsOf: Data("{\"span\":\"forward\",\"st".utf8))
        try file.close()
        let more = try TinyRun.ringtrain(["resume", run, "--set", "job.epochs=4"])
        try #require(more.status == 0, "\(more.output)")
        #expect(more.stdout.contains("1 unreadable line"), "\(more.stdout)")
        let headers = try String(contentsOfFile: run + "/timeline/rank-0.jsonl", encoding: .utf8).split(separator: "\n")
            .filter { $0.contains("\"wall_zero_us\"") && (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil }
        #expect(headers.count == 2, "both sessions' headers read back: \(headers)")
        let merged = try Self.check(run + "/timeline.json", ranks: 1)
        #expect(merged["steps_per_rank"] as? [String: Int] == ["0": 40 - saved], "steps \(saved + 1) to 40: \(merged)")
    }

    @Test("a rank that recorded no whole step: the summary says so, in text and JSON")
    func rankWithoutSteps() throws {
        let tiny = try TinyRun(epochs: 1, hidden: 512)
        let run = tiny.dir + "/run"
        let result = try tiny.train("run", ["--timeline"])
        try #require(result.status == 0, "\(result.output)")
        let header = try #require(try String(contentsOfFile: run + "/timeline/rank-0.jsonl", encoding: .utf8).split(separator: "\n").first)
        try (header.replacingOccurrences(of: "\"rank\":0", with: "\"rank\":1") + "\n")
            .write(toFile: run + "/timeline/rank-1.jsonl", atomically: false, encoding: .utf8)
        let merged = try TinyRun.ringtrain(["timeline", run, "--json"])
        try #require(merged.status == 0, "\(merged.output)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(merged.stdout.utf8)) as? [String: Any], "\(merged.output)")
        let ranks = try #require(summary["ranks"] as? [[String: Any]])
        #expect(ranks.count == 2 && ranks[1]["steps"] as? Int == 0 && ranks[1]["step_ms"] == nil && ranks[0]["step_ms"] != nil, "\(ranks)")
        let text = try TinyRun.ringtrain(["timeline", run])
        #expect(text.status == 0 && text.stdout.contains("   1  "), "\(text.output)")
    }
}
