// CheckpointStateFuzzTests: state.json edited field by field (negative, huge, fractional, wrong
// type, missing), with and without its checksum updated, always ends in an error naming the field.
import Foundation
import Model
import Testing
@testable import Worker

@Suite("state.json fields")
struct CheckpointStateFuzzTests {
    static let fields = ["format_version", "global_step", "epoch", "step_in_epoch", "learning_rate", "seed", "world_size",
                         "config_hash", "metrics", "files", "skipped_steps", "report_window"]
    /// Values no field accepts (as JSON text); `metrics` and `files` take objects, `config_hash` a string.
    static let badValues = ["-1", "-5", "9223372036854775807", "1e15", "1e300", "2.5", "\"3\"", "true", "null", "[]", "{}",
                            "-0.5", "1e-9"]

    /// state.json of checkpoint `name` with `field` replaced by `value` (nil removes it); the
    /// checksum file is rewritten to match when `resign`, or removed with format version 1.
    static func edit(_ folder: CheckpointFolder, _ name: String, field: String, value: String?, resign: Bool) throws {
        let path = folder.file(name, "state.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        if !resign { object["format_version"] = 1 }
        if let value {
            object[field] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        } else {
            object.removeValue(forKey: field)
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
        let sidecar = folder.file(name, "state.sha256")
        if resign {
            try Data((CheckpointStore.sha256(data) + "\n").utf8).write(to: URL(fileURLWithPath: sidecar))
        } else {
            try? FileManager.default.removeItem(atPath: sidecar)
        }
    }

    /// Saves a checkpoint at step 25, sets `field` of its state.json to `value` (checksum
    /// updated), and expects the load (under `bounds`, when given) to fail naming `named`.
    static func expectRefused(_ field: String, value: String, naming named: String,
                              bounds: CheckpointState.Bounds? = nil) throws {
        let folder = CheckpointFolder()
        let name = try saveTestCheckpoint(folder, step: 25)
        try edit(folder, name, field: field, value: value, resign: true)
        #expect {
            try folder.store.load(name, layout: testParameterStore().entries, bounds: bounds)
        } throws: { error in
            "\(error)".contains("state.json: field '\(named)'")
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let field: String
        let value: String?
        var testDescription: String { "\(field) = \(value ?? "(missing)")" }
    }

    /// Every field with every bad value and missing: 11 × 14 = 154 cases, each signed and legacy.
    static let cases: [Case] = fields.flatMap { f in badValues.map { Case(field: f, value: $0) } + [Case(field: f, value: nil)] }

    @Test("a bad field is an error naming state.json and the field, or (where the value is valid) a clean load", arguments: cases)
    func badField(_ c: Case) throws {
        let layout = testParameterStore().entries
        for resign in [true, false] {
            let folder = CheckpointFolder()
            let name = try saveTestCheckpoint(folder, step: 25)
            try Self.edit(folder, name, field: c.field, value: c.value, resign: resign)
            do {
                let loaded = try folder.store.load(name, layout: layout)
                // Only values a field truly allows may load: a whole number in range, a learning
                // rate ≥ 0, a missing skipped_steps in a version-1 file, an empty metrics object.
                let allowed: Set<String> = ["learning_rate=1e15", "learning_rate=9223372036854775807", "learning_rate=1e300", "learning_rate=2.5", "learning_rate=1e-9",
                                            "skipped_steps=(missing)", "metrics={}", "seed=9223372036854775807", "seed=1e15",
                                            "metrics=(missing)", "config_hash=\"3\"", "report_window=(missing)"]
                let key = "\(c.field)=\(c.value ?? "(missing)")"
                #expect(allowed.contains(key), "loaded \(key) (resign \(resign)): \(loaded.state)")
            } catch let error as CheckpointError {
                // An empty `files` object records no checksum, which the first tensor file reports.
                let emptyFiles = c.field == "files" && c.value == "{}"
                #expect(error.file == (emptyFiles ? "model.safetensors" : "state.json"), "\(error)")
                let names = "\(error)".contains("'\(c.field)'") || "\(error)".contains("'\(c.field).")
                    || (emptyFiles && "\(error)".contains("state.json records no checksum"))
                #expect(names, "\(error)")
                #expect(!"\(error)".contains("Fatal"))
            }
        }
    }

    @Test("a seeded fuzz of state.json's bytes with its checksum updated: field errors or a load of what the file says")
    func byteFuzz() throws {
        let layout = testParameterStore().entries
        let folder = CheckpointFolder()
        let name = try saveTestCheckpoint(folder, step: 12)
        let path = folder.file(name, "state.json")
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        var rng = CheckpointCorruptionTests.Mix(29)
        var outcomes = [0, 0]
        for _ in 0..<150 {
            var bytes = original
            let at = rng.next(bytes.count)
            bytes[at] = Array("0123456789-.e\"{}[],:ntf ".utf8)[rng.next(24)]
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            try Data((CheckpointStore.sha256(Data(bytes)) + "\n").utf8).write(to: URL(fileURLWithPath: folder.file(name, "state.sha256")))
            do {
                let loaded = try folder.store.load(name, layout: layout)
                #expect(loaded.state.globalStep <= CheckpointState.fieldLimit && loaded.state.stepInEpoch <= loaded.state.globalStep)
                outcomes[0] += 1
            } catch let error as CheckpointError {
                #expect(error.file != nil, "\(error)")
                outcomes[1] += 1
            }
        }
        #expect(outcomes[1] > 50, "\(outcomes)")
    }

    @Test("the issue's state.json values are refused against the job (epochs 3, 41 steps per epoch, 2460 samples)",
          arguments: [("epoch", -1), ("global_step", 1_000_000_000_000_000), ("step_in_epoch", -3), ("global_step", -5),
                      ("step_in_epoch", 1_000_000_000), ("epoch", 1_000_000_000_000), ("world_size", 0), ("epoch", 4)])
    func issueValues(field: String, value: Int) throws {
        try Self.expectRefused(field, value: "\(value)", naming: field,
                               bounds: CheckpointState.Bounds(epochs: 3, stepsPerEpoch: 41, trainSamples: 2460))
    }

    /// (config hash of the checkpoint, of the job, epoch, step_in_epoch, global_step, accepted) at 41 steps per epoch,
    /// the config begun at step 0 with 41 steps per epoch.
    static let consistencyCases: [(String, String?, Int, Int, Int, Bool)] = [
        ("v2-same", "v2-same", 1, 3, 44, true),       // the same job: exactly 1 × 41 + 3
        ("v2-same", "v2-same", 1, 3, 45, false),      // checksum updated, position not
        ("v2-same", "v2-same", 1, 3, 43, false),
        ("v2-same", "v2-same", 3, 0, 123, true),      // every epoch done
        ("v2-same", "v2-same", 3, 0, 100, false),
        ("v2-same", "v2-same", 0, 0, 7, false),
        ("v2-old", "v2-same", 1, 3, 45, true),        // the config changed (e.g. the batch size): the loose bound
        ("v2-old", "v2-same", 1, 3, 2463, true),
        ("v2-same", nil, 1, 3, 45, true),             // the job's hash unknown: the loose bound
        ("", "", 1, 3, 45, true),                     // no hash recorded
    ]

    @Test("with the job's own config hash, global_step must equal epoch × steps per epoch + step_in_epoch",
          arguments: consistencyCases.indices)
    func positionConsistency(_ index: Int) {
        let (saved, current, epoch, stepInEpoch, globalStep, accepted) = Self.consistencyCases[index]
        var state = CheckpointState(position: TrainingPosition(epoch: epoch, stepInEpoch: stepInEpoch, globalStep: globalStep),
                                    learningRate: 0.1, seed: 0, worldSize: 1, configHash: saved, metrics: [:])
        state.configStart = ConfigStart(stepsPerEpoch: 41)
        let bounds = CheckpointState.Bounds(epochs: 3, stepsPerEpoch: 41, trainSamples: 2460, configHash: current)
        if accepted {
            #expect(throws: Never.self) { try state.check(against: bounds) }
        } else {
            #expect {
                try state.check(against: bounds)
            } throws: { error in
                "\(error)".contains("field 'global_step'") && "\(error)".contains("valid: \(epoch * 41 + stepInEpoch)")
            }
        }
    }

    /// A run whose batch size changed at a resume (epoch 1, step 3, global step 10: ten steps of
    /// 7 per epoch before) keeps its own global steps: the same config then needs exactly
    /// start + steps since; another start, or another steps per epoch (the data grew), the loose bound.
    @Test("after a resume that changed the steps per epoch, global_step follows from where that config began",
          arguments: [(ConfigStart(epoch: 1, stepInEpoch: 3, globalStep: 10, stepsPerEpoch: 41), 2, 5, 10 + 38 + 5, true),
                      (ConfigStart(epoch: 1, stepInEpoch: 3, globalStep: 10, stepsPerEpoch: 41), 2, 5, 2 * 41 + 5, false),
                      (ConfigStart(epoch: 1, stepInEpoch: 3, globalStep: 10, stepsPerEpoch: 41), 1, 9, 16, true),
                      (ConfigStart(epoch: 1, stepInEpoch: 3, globalStep: 10, stepsPerEpoch: 20), 2, 5, 53, true),   // loose: data changed
                      (nil, 2, 5, 53, true)])                                                                     // not recorded: loose
    func positionFromConfigStart(start: ConfigStart?, epoch: Int, stepInEpoch: Int, globalStep: Int, accepted: Bool) {
        var state = CheckpointState(position: TrainingPosition(epoch: epoch, stepInEpoch: stepInEpoch, globalStep: globalStep),
                                    learningRate: 0.1, seed: 0, worldSize: 1, configHash: "v2-same", metrics: [:])
        state.configStart = start
        let bounds = CheckpointState.Bounds(epochs: 3, stepsPerEpoch: 41, trainSamples: 2460, configHash: "v2-same")
        let result = Result { try state.check(against: bounds) }
        if case .failure = result { #expect(!accepted, "refused: \(result)") } else { #expect(accepted, "accepted a global_step \(globalStep)") }
    }

    @Test("a resigned state.json whose global_step disagrees with its epoch is refused on load by the same job")
    func inconsistentOnLoad() throws {
        let folder = CheckpointFolder()
        let name = try saveTestCheckpoint(folder, step: 25, configHash: "v2-job")   // epoch 2, step 5 of 10
        let bounds = CheckpointState.Bounds(epochs: 3, stepsPerEpoch: 10, trainSamples: 100, configHash: "v2-job")
        #expect(try folder.store.load(name, layout: testParameterStore().entries, bounds: bounds).state.globalStep == 25)
        try Self.edit(folder, name, field: "global_step", value: "26", resign: true)
        #expect {
            try folder.store.load(name, layout: testParameterStore().entries, bounds: bounds)
        } throws: { error in
            "\(error)".contains("state.json: field 'global_step'") && "\(error)".contains("valid: 25")
        }
    }

    @Test("a checkpoint saved before state.sha256 existed (format 1) still verifies")
    func legacyFormat() throws {
        let folder = CheckpointFolder()
        let name = try saveTestCheckpoint(folder, step: 25)
        let path = folder.file(name, "state.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        object["format_version"] = 1
        object.removeValue(forKey: "skipped_steps")
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
        try FileManager.default.removeItem(atPath: folder.file(name, "state.sha256"))
        let loaded = try folder.store.load(name, layout: testParameterStore().entries)
        #expect(loaded.state.formatVersion == 1 && loaded.state.skippedSteps == 0 && loaded.state.globalStep == 25)
    }

    @Test("report_window's own fields are range-checked, each named", arguments: [
        (#"{"loss_count": 2, "steps": 1, "correct": 0, "predictions": 0}"#, "report_window.loss_sum"),
        (#"{"loss_sum": "x", "loss_count": 2, "steps": 1, "correct": 0, "predictions": 0}"#, "report_window.loss_sum"),
        (#"{"loss_sum": 1, "loss_count": 2.5, "steps": 1, "correct": 0, "predictions": 0}"#, "report_window.loss_count"),
        (#"{"loss_sum": 1, "loss_count": -2, "steps": 1, "correct": 0, "predictions": 0}"#, "report_window.loss_count"),
        (#"{"loss_sum": 1, "loss_count": 2, "steps": 1000000, "correct": 0, "predictions": 0}"#, "report_window.steps"),
        (#"{"loss_sum": 1, "loss_count": 2, "steps": 1, "correct": 0}"#, "report_window.predictions"),
        (#"{"loss_sum": 1, "loss_count": 2, "steps": 1, "correct": 9, "predictions": 8}"#, "report_window.correct"),
        (#"{"loss_sum": 1, "loss_count": 2, "steps": 1, "correct": true, "predictions": 8}"#, "report_window.correct"),
    ])
    func reportWindowFields(json: String, field: String) throws {
        try Self.expectRefused("report_window", value: json, naming: field)
    }

    @Test("config_start's own fields are range-checked, each named", arguments: [
        (#"[1]"#, "config_start"),
        (#"{"step_in_epoch": 0, "global_step": 0, "steps_per_epoch": 10}"#, "config_start.epoch"),
        (#"{"epoch": 3, "step_in_epoch": 0, "global_step": 0, "steps_per_epoch": 10}"#, "config_start.epoch"),   // after the checkpoint
        (#"{"epoch": 0, "step_in_epoch": -1, "global_step": 0, "steps_per_epoch": 10}"#, "config_start.step_in_epoch"),
        (#"{"epoch": 0, "step_in_epoch": 0, "global_step": 26, "steps_per_epoch": 10}"#, "config_start.global_step"),
        (#"{"epoch": 0, "step_in_epoch": 0, "global_step": 0, "steps_per_epoch": 0}"#, "config_start.steps_per_epoch"),
        (#"{"epoch": 0, "step_in_epoch": 0, "global_step": 0, "steps_per_epoch": "ten"}"#, "config_start.steps_per_epoch"),
    ])
    func configStartFields(json: String, field: String) throws {
        try Self.expectRefused("config_start", value: json, naming: field)
    }

    @Test("the report window and the metrics round-trip through state.json exactly, NaN included")
    func reportWindowRoundTrip() throws {
        for lossSum in [0.1 + 0.2, Double(Float(2.3025851)) * 3, .nan] {
            var state = CheckpointState(position: TrainingPosition(epoch: 1, stepInEpoch: 7, globalStep: 17), learningRate: 0.1,
                                        seed: 1, worldSize: 2, configHash: "h", metrics: ["loss": lossSum, "val_acc": 0.1 + 0.7])
            state.reportWindow = ReportWindowTotals(lossSum: lossSum, lossCount: 14, steps: 7, correct: 3, predictions: 8)
            state.files["model.safetensors"] = CheckpointFileDigest(sha256: String(repeating: "a", count: 64), bytes: 1)
            let decoded = try CheckpointState.decode(try state.encoded())
            #expect(decoded.metrics["val_acc"] == 0.1 + 0.7)
            #expect(lossSum.isNaN ? decoded.metrics["loss"]?.isNaN == true : decoded.metrics["loss"] == lossSum)
            let back = decoded.reportWindow
            #expect(back.lossSum.bitPattern == lossSum.bitPattern || (back.lossSum.isNaN && lossSum.isNaN))
            #expect(back.lossCount == 14 && back.steps == 7 && back.correct == 3 && back.predictions == 8)
        }
    }
}
