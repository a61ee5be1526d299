// EarlierVersionResumeTests: a run folder written by an earlier ringtrain (its checkpoint records
// the config hash in the old form) resumes with this one, exactly, and the log level reaches every rank.
import Foundation
import Testing

@Suite(.serialized)
struct EarlierVersionResumeTests {
    /// Fixtures/legacy-run: a 3-epoch run of legacy.yaml stopped by an injected failure at step 9
    /// by the ringtrain of commit 4c358db, in /tmp/legacy; its checkpoint step-00000008 records
    /// config hash 9cb3616d42d4abad (FNV-1a of that version's YAML text).
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/legacy-run").path
    static let recordedFolder = "/tmp/legacy"

    /// A copy of the fixture in a fresh folder, resolved.yaml's data paths moved along with it.
    static func copyFixture() throws -> String {
        let dir = try TrainingFixtures.temporaryDirectory()
        for item in try FileManager.default.contentsOfDirectory(atPath: fixture) {
            try FileManager.default.copyItem(atPath: fixture + "/" + item, toPath: dir + "/" + item)
        }
        let resolved = dir + "/run/resolved.yaml"
        let text = try String(contentsOfFile: resolved, encoding: .utf8)
        try text.replacingOccurrences(of: recordedFolder + "/", with: dir + "/").write(toFile: resolved, atomically: true, encoding: .utf8)
        return dir
    }

    @Test("a checkpoint recorded by an earlier version resumes: the config check is skipped with a note, and the result equals a straight run")
    func earlierCheckpointResumesExactly() throws {
        let dir = try Self.copyFixture()
        let state = try String(contentsOfFile: dir + "/run/checkpoints/step-00000008/state.json", encoding: .utf8)
        #expect(state.contains("\"config_hash\" : \"9cb3616d42d4abad\""), "the fixture is not the earlier version's")

        let resumed = try TinyRun.ringtrain(["resume", dir + "/run"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.stdout.contains("resumed from \(dir)/run/checkpoints/step-00000008"), "\(resumed.output)")
        #expect(resumed.stderr.contains("note: step-00000008 records its config hash in an earlier version's form"), "\(resumed.stderr)")
        #expect(!resumed.output.contains("config differs"), "\(resumed.output)")

        let straight = try TinyRun.ringtrain(["train", dir + "/legacy.yaml", "--run-dir", dir + "/straight"])
        #expect(straight.status == 0, "\(straight.output)")
        let model = { (run: String) throws -> Data in
            let latest = try String(contentsOfFile: "\(dir)/\(run)/checkpoints/latest", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(run)/checkpoints/\(latest)/model.safetensors"))
        }
        #expect(try model("run") == model("straight"), "the resumed run must end where an uninterrupted one does")

        // Resuming again compares hashes of the current form: same config, no note of either kind.
        let again = try TinyRun.ringtrain(["resume", dir + "/run", "--set", "job.epochs=4"])
        #expect(again.status == 0 && !again.stderr.contains("earlier version"), "\(again.output)")
        #expect(again.stderr.contains("note: the config differs"), "epochs changed, which a current-form hash shows: \(again.output)")
    }

    @Test("--log-level reaches the ranks mpirun starts and a sweep's trials: debug shows every rank's lines, warning hides notes")
    func logLevelReachesRanks() throws {
        let dir = try Self.copyFixture()
        let config = dir + "/legacy.yaml"
        let debug = try TinyRun.ringtrain(["train", config, "--ranks", "2", "--run-dir", dir + "/debug", "--log-level", "debug"])
        #expect(debug.status == 0, "\(debug.output)")
        #expect(debug.stderr.contains("debug: rank 1 of 2: config agreed"), "\(debug.stderr)")
        #expect(debug.stderr.contains("debug: starting "), "the launcher's own debug line: \(debug.stderr)")

        let quiet = try TinyRun.ringtrain(["--log-level=warning", "train", config, "--ranks", "2", "--run-dir", dir + "/quiet"])
        #expect(quiet.status == 0, "\(quiet.output)")
        #expect(!quiet.stderr.contains("note:") && !quiet.stderr.contains("debug:"), "\(quiet.stderr)")

        // A sweep's trials run under supervisors the sweep starts: they log at its level too.
        try (String(contentsOfFile: config, encoding: .utf8)
             + "sweep:\n  method: grid\n  metric: {name: val_loss}\n  parameters:\n    optimizer.lr: {values: [0.05]}\n")
            .write(toFile: dir + "/sweep.yaml", atomically: true, encoding: .utf8)
        let sweep = try TinyRun.ringtrain(["sweep", dir + "/sweep.yaml", "--run-dir", dir + "/sweep", "--log-level", "debug"])
        #expect(sweep.status == 0, "\(sweep.output)")
        let trialLog = try String(contentsOfFile: dir + "/sweep/trial-0001/output.log", encoding: .utf8)
        #expect(trialLog.contains("debug: ") && trialLog.contains("config hash v2-"), "\(trialLog)")

        let bad = try TinyRun.ringtrain(["validate", config, "--log-level", "loud"])
        #expect(bad.status == 2 && bad.stderr.contains("'loud' is not a level; use one of trace, debug, info"), "\(bad.output)")
    }
}
