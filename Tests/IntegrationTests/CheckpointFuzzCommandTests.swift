// CheckpointFuzzCommandTests: damaged checkpoints through the real `evaluate` and `resume`
// commands — edited state.json fields, truncations, bit flips, deleted files, `latest` pointing
// outside or at garbage, symlinks — each a clean exit 2 naming file and field, never a crash.
import Foundation
import Testing

@Suite(.serialized)
struct CheckpointFuzzCommandTests {
    struct Damage: CustomTestStringConvertible, Sendable {
        let label: String
        /// Changes the run folder `run` (its only checkpoint is step-00000030).
        let apply: @Sendable (TinyRun, String) throws -> Void
        /// Text the resume error must hold (file and field).
        let expected: [String]
        /// Extra `--set` for the resume.
        var set: [String] = []
        var testDescription: String { label }
    }

    static let checkpoint = "step-00000030"
    static func path(_ tiny: TinyRun, _ run: String, _ file: String = "") -> String {
        "\(tiny.dir)/\(run)/checkpoints/\(checkpoint)" + (file.isEmpty ? "" : "/" + file)
    }
    static func edit(_ file: String, _ change: @escaping @Sendable (inout [UInt8]) -> Void) -> @Sendable (TinyRun, String) throws -> Void {
        { tiny, run in
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path(tiny, run, file))))
            change(&bytes)
            try Data(bytes).write(to: URL(fileURLWithPath: path(tiny, run, file)))
        }
    }
    static func field(_ name: String, _ json: String, set: [String] = []) -> Damage {
        Damage(label: "state.json \(name) = \(json)", apply: { try $0.editState($1, checkpoint, field: name, json: json) },
               expected: ["state.json", "'\(name)'"], set: set)
    }

    static let secret = "TOP-SECRET-LINE"
    static let cases: [Damage] = [
        field("epoch", "-1"),
        field("global_step", "9223372036854775807"),
        field("epoch", "9223372036854775807"),
        field("global_step", "-5", set: ["job.epochs=3"]),
        field("step_in_epoch", "-3"),
        field("global_step", "1e15"),
        field("step_in_epoch", "1e9"),
        field("epoch", "1e12"),
        field("world_size", "0"),
        field("epoch", "2.5"),
        field("learning_rate", "\"fast\""),
        field("seed", "-1"),
        field("skipped_steps", "-2"),
        Damage(label: "state.json edited, checksum not", apply: edit("state.json") { $0[$0.count / 2] ^= 0x01 },
               expected: ["state.json", "state.sha256"]),
        Damage(label: "state.json truncated", apply: edit("state.json") { $0.removeLast($0.count / 2) }, expected: ["state.json"]),
        Damage(label: "state.sha256 deleted", apply: { try FileManager.default.removeItem(atPath: path($0, $1, "state.sha256")) },
               expected: ["state.sha256", "missing"]),
        Damage(label: "model truncated", apply: edit("model.safetensors") { $0.removeLast(9) }, expected: ["model.safetensors"]),
        Damage(label: "model header bit flip", apply: edit("model.safetensors") { $0[12] ^= 0x04 }, expected: ["model.safetensors"]),
        Damage(label: "model data bit flip", apply: edit("model.safetensors") { $0[$0.count - 3] ^= 0x10 },
               expected: ["model.safetensors", "SHA-256"]),
        Damage(label: "huge header length", apply: edit("model.safetensors") { $0[5] = 0x7f }, expected: ["model.safetensors"]),
        Damage(label: "optimizer deleted", apply: { try FileManager.default.removeItem(atPath: path($0, $1, "optimizer.safetensors")) },
               expected: ["optimizer.safetensors", "missing"]),
        Damage(label: "latest links outside, checkpoint broken", apply: { tiny, run in
            try "\(checkpoint) \(secret)\n".write(toFile: tiny.dir + "/outside.txt", atomically: true, encoding: .utf8)
            try FileManager.default.removeItem(atPath: "\(tiny.dir)/\(run)/checkpoints/latest")
            try FileManager.default.createSymbolicLink(atPath: "\(tiny.dir)/\(run)/checkpoints/latest", withDestinationPath: tiny.dir + "/outside.txt")
            try FileManager.default.removeItem(atPath: path(tiny, run, "model.safetensors"))
        }, expected: ["latest: is a symbolic link", "model.safetensors"]),
        Damage(label: "latest holds garbage, checkpoint broken", apply: { tiny, run in
            try "../../../etc \(secret)\n".write(toFile: "\(tiny.dir)/\(run)/checkpoints/latest", atomically: true, encoding: .utf8)
            try FileManager.default.removeItem(atPath: path(tiny, run, "state.json"))
        }, expected: ["latest: does not hold a checkpoint folder name", "state.json"]),
        Damage(label: "checkpoint folder is a link outside", apply: { tiny, run in
            try FileManager.default.moveItem(atPath: path(tiny, run), toPath: tiny.dir + "/moved-\(run)")
            try FileManager.default.createSymbolicLink(atPath: path(tiny, run), withDestinationPath: tiny.dir + "/moved-\(run)")
        }, expected: [checkpoint, "not a folder"]),
        Damage(label: "state.json is a link", apply: { tiny, run in
            try FileManager.default.moveItem(atPath: path(tiny, run, "state.json"), toPath: tiny.dir + "/state-\(run).json")
            try FileManager.default.createSymbolicLink(atPath: path(tiny, run, "state.json"), withDestinationPath: tiny.dir + "/state-\(run).json")
        }, expected: ["state.json", "symbolic link"]),
    ]

    static let finished: Result<TinyRun, any Error> = Result {
        let tiny = try TinyRun(job: "  checkpoint: {every_steps: 0, keep_last: 1}")
        let done = try tiny.train("done")
        guard done.status == 0, tiny.latest("done") == checkpoint else { throw TestClusterError("setup failed: \(done.output)") }
        return tiny
    }

    @Test("a resigned state.json whose global_step disagrees with epoch and step_in_epoch: resume of the same config exits 2")
    func inconsistentGlobalStep() throws {
        let tiny = try Self.finished.get()
        let target = "\(tiny.dir)/inconsistent"
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: "\(tiny.dir)/done", toPath: target)
        try? FileManager.default.removeItem(atPath: target + "/.ringtrain.lock")
        // Epoch 3 of 10 steps each, step 0: global_step must be 30; 25 would train 5 steps too few.
        try tiny.editState("inconsistent", Self.checkpoint, field: "global_step", json: "25")
        let resume = try TinyRun.ringtrain(["resume", target])
        #expect(resume.status == 2, "\(resume.output)")
        for text in ["state.json", "'global_step'", "valid: 30"] { #expect(resume.stderr.contains(text), "missing '\(text)' in: \(resume.stderr)") }
        #expect(!resume.output.contains("Fatal error"), "\(resume.output)")
    }

    /// A resume with another batch size (10 → 5 steps per epoch after epoch 1) keeps counting
    /// global steps on from 10; its checkpoints record where that config began, so a later
    /// resume of the same config still takes the newest one.
    @Test("a run resumed with another batch size resumes again from its newest checkpoint")
    func resumeAfterABatchSizeChange() throws {
        let tiny = try TinyRun()
        let first = try tiny.train("changed", ["--set", "job.epochs=1"])
        #expect(first.status == 0, "\(first.output)")
        let changed = ["--resume", "--set", "job.epochs=3", "--set", "job.batch_size=32"]
        let second = try tiny.train("changed", changed)
        #expect(second.status == 0 && second.stdout.contains("resumed from"), "\(second.output)")
        #expect(tiny.latest("changed") == "step-00000020", "\(tiny.latest("changed") ?? "none")")
        let third = try tiny.train("changed", changed)
        #expect(third.status == 0 && third.output.contains("already finished at step 20"), "\(third.output)")
        #expect(!third.output.contains("skipped checkpoint"), "\(third.output)")
    }

    @Test("each damaged checkpoint: resume and evaluate exit 2 naming file and field, or evaluate loads a checkpoint that verifies",
          arguments: cases)
    func damaged(_ damage: Damage) throws {
        let tiny = try Self.finished.get()
        let run = "fuzz-\(Self.cases.firstIndex { $0.label == damage.label }!)"
        let source = "\(tiny.dir)/done", target = "\(tiny.dir)/\(run)"
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: source, toPath: target)
        try? FileManager.default.removeItem(atPath: target + "/.ringtrain.lock")
        try damage.apply(tiny, run)

        let resume = try TinyRun.ringtrain(["resume", target, "--set", "job.epochs=4"] + damage.set.flatMap { ["--set", $0] })
        #expect(resume.status == 2, "\(resume.output)")
        for text in damage.expected { #expect(resume.stderr.contains(text), "missing '\(text)' in: \(resume.stderr)") }
        for output in [resume.stderr, resume.stdout] {
            #expect(!output.contains("Fatal error") && !output.contains("Stack dump") && !output.contains(Self.secret), "\(output)")
        }

        let evaluate = try TinyRun.ringtrain(["evaluate", target, "--json"])
        #expect(evaluate.status == 0 || evaluate.status == 2, "\(evaluate.output)")
        #expect(!evaluate.output.contains("Fatal error") && !evaluate.output.contains(Self.secret), "\(evaluate.output)")
        if evaluate.status == 2 {
            #expect(damage.expected.contains { evaluate.stderr.contains($0) }, "\(evaluate.stderr)")
        } else {
            // Loads only what verifies: a field that evaluate does not range-check against the job.
            #expect(["state.json epoch = 1e12", "state.json step_in_epoch = 1e9"].contains(damage.label)
                    || damage.label.contains("global_step = -5"), "\(damage.label) loaded: \(evaluate.stdout)")
        }
    }
}
