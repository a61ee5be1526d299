// FormatThreeFolderTests: a run folder and a sweep folder written by the ringtrain of commit
// 643006b (checkpoint state format 3, the sweep store of that version) resume with this one:
// the run to the model and metrics of an uninterrupted run, the sweep to the trials and results
// of an uninterrupted sweep, through the commands people use.
import Foundation
import Testing

@Suite(.serialized)
struct FormatThreeFolderTests {
    /// Fixtures/format3-folders, made at `recordedFolder` by that version:
    /// - `run`: `run.yaml` (2 ranks, AdamW, sharded update) started with `worker … --fail-rank 1
    ///   --fail-step 9 --fail-mode kill` under mpirun; its checkpoint step-00000008 is mid-epoch 2
    ///   and records the report window.
    /// - `sweep`: `sweep.yaml` (random search, successive halving, run_cap 4) whose coordinator was
    ///   killed by `RINGTRAIN_CRASH_AT=coordinator:pid-recorded:3`: trial 1 finished, trial 2
    ///   stopped by the halving, trial 3 recorded as running (its supervisor then finished it and
    ///   wrote exit-status), trial 4 not yet added.
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/format3-folders").path
    /// The folders' files name this path (data paths, the sweep's config folder), so the copy is
    /// made there, as the folders were written.
    static let recordedFolder = "/tmp/ringtrain-v3-fixture"

    static func freshCopy() throws -> String {
        try? FileManager.default.removeItem(atPath: recordedFolder)
        try FileManager.default.copyItem(atPath: fixture, toPath: recordedFolder)
        return recordedFolder
    }

    /// A metrics file's lines without the fields that measure time.
    static func metricsWithoutTimes(_ path: String) throws -> [NSDictionary] {
        TrainingFixtures.jsonLines(try String(contentsOfFile: path, encoding: .utf8)).map { line in
            var line = line
            line["seconds"] = nil
            line["samples_per_s"] = nil
            return line as NSDictionary
        }
    }

    static func finalModel(_ run: String) throws -> Data {
        let latest = try String(contentsOfFile: run + "/checkpoints/latest", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return try Data(contentsOf: URL(fileURLWithPath: "\(run)/checkpoints/\(latest)/model.safetensors"))
    }

    @Test("a format-3 run folder resumes to the uninterrupted run's model and metrics")
    func runFolderResumesExactly() throws {
        let dir = try Self.freshCopy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = try String(contentsOfFile: dir + "/run/checkpoints/step-00000008/state.json", encoding: .utf8)
        #expect(state.contains("\"format_version\" : 3") && state.contains("\"report_window\""), "not the format-3 fixture")

        let resumed = try TinyRun.ringtrain(["resume", dir + "/run"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.stdout.contains("resumed from \(dir)/run/checkpoints/step-00000008"), "\(resumed.output)")
        #expect(!resumed.output.contains("config differs") && !resumed.output.contains("earlier version"), "\(resumed.output)")

        let straight = try TinyRun.ringtrain(["train", dir + "/run.yaml", "--run-dir", dir + "/straight"])
        #expect(straight.status == 0, "\(straight.output)")
        #expect(try Self.finalModel(dir + "/run") == Self.finalModel(dir + "/straight"))
        let resumedMetrics = try Self.metricsWithoutTimes(dir + "/run/metrics.jsonl")
        #expect(resumedMetrics.count == 4, "three epochs and the final line")
        #expect(resumedMetrics == (try Self.metricsWithoutTimes(dir + "/straight/metrics.jsonl")))
    }

    /// The sweep's trials as (status, configuration, metric, attempts) rows, read with the sqlite3
    /// program (a reader apart from ringtrain's store).
    static func trials(_ sweep: String) throws -> [String] {
        let result = try ProcessRunner.run("/usr/bin/env", ["sqlite3", sweep + "/sweep.sqlite",
                                                            "SELECT id, status, configuration, metric, attempts FROM trial ORDER BY id"])
        #expect(result.status == 0, "\(result.output)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test("a format-3 sweep folder whose coordinator was killed resumes to the uninterrupted sweep's trials")
    func sweepFolderResumesWhole() throws {
        let dir = try Self.freshCopy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let before = try Self.trials(dir + "/sweep")
        #expect(before.count == 3 && before[2].hasPrefix("3|running|"), "\(before)")

        let resumed = try TinyRun.ringtrain(["resume", dir + "/sweep"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let after = try Self.trials(dir + "/sweep")
        #expect(Array(after.prefix(2)) == Array(before.prefix(2)), "concluded trials keep their record")
        // Trial 3 was finished by its supervisor while no coordinator ran: concluded from its
        // exit status, not run again.
        #expect(after.count == 4 && after[2].hasPrefix("3|finished|") && after[2].hasSuffix("|1"), "\(after)")
        let log = try String(contentsOfFile: dir + "/sweep/trial-0003/output.log", encoding: .utf8)
        #expect(log.components(separatedBy: "== ringtrain: trial attempt").count - 1 == 1, "trial 3 ran once: \(log)")

        let straight = try TinyRun.ringtrain(["sweep", dir + "/sweep.yaml", "--run-dir", dir + "/straight"])
        #expect(straight.status == 0, "\(straight.output)")
        // The same trials in the same order as an uninterrupted sweep, and the same result for
        // each trial that ran to its end in both. (Whether a halving stop reaches a trial this
        // small before its last epoch is a race, so statuses of stopped trials may differ.)
        let straightTrials = try Self.trials(dir + "/straight")
        let fields = { (rows: [String]) in rows.map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) } }
        #expect(fields(after).map { $0[2] } == fields(straightTrials).map { $0[2] }, "\(after) against \(straightTrials)")
        for (resumedRow, straightRow) in zip(fields(after), fields(straightTrials)) where resumedRow[1] == "finished" && straightRow[1] == "finished" {
            #expect(resumedRow[3] == straightRow[3], "\(resumedRow) against \(straightRow)")
        }
    }
}
