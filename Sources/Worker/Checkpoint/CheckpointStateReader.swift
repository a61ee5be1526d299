// CheckpointStateReader: reads state.json back field by field, each one type- and range-checked,
// so an edited or damaged file is an error naming the field, never a trap or a silent nonsense run.
import Foundation

/// A field of state.json that is missing, of the wrong type, or out of range.
public struct CheckpointStateFieldError: Error, CustomStringConvertible {
    /// The JSON key, e.g. `epoch` or `files.model.safetensors.bytes`.
    public let field: String
    /// What is wrong and what would be valid.
    public let problem: String
    public var description: String { "field '\(field)': \(problem)" }
}

extension CheckpointState {
    /// Largest global step, epoch or byte count a state.json may hold (2^40): far beyond any
    /// real run, small enough that no arithmetic on it overflows.
    public static let fieldLimit = 1 << 40
    /// Largest world size a state.json may hold.
    public static let worldSizeLimit = 1 << 20

    /// Decodes state.json's bytes, checking every field on its own (types, ranges) and against
    /// the others (`step_in_epoch` ≤ `global_step`, `skipped_steps` ≤ `global_step`). Range checks
    /// against the config and the data are `check(against:)`.
    /// - Throws: `CheckpointStateFieldError` naming the field.
    public static func decode(_ data: Data) throws -> CheckpointState {
        let top: Any
        do { top = try JSONSerialization.jsonObject(with: data) } catch {
            throw CheckpointStateFieldError(field: "(whole file)", problem: "is not valid JSON")
        }
        guard let object = top as? [String: Any] else {
            throw CheckpointStateFieldError(field: "(whole file)", problem: "is not a JSON object")
        }
        let format = try integer(object, "format_version", 1...currentFormatVersion)
        let globalStep = try integer(object, "global_step", 0...fieldLimit)
        let epoch = try integer(object, "epoch", 0...fieldLimit)
        let stepInEpoch = try integer(object, "step_in_epoch", 0...globalStep)
        let skipped = object["skipped_steps"] == nil && format < 2 ? 0 : try integer(object, "skipped_steps", 0...globalStep)
        let learningRate = try number(object["learning_rate"], "learning_rate")
        guard learningRate.isFinite, learningRate >= 0 else {
            throw CheckpointStateFieldError(field: "learning_rate", problem: "\(learningRate) is not a finite number ≥ 0")
        }
        let seed = try unsigned(object, "seed")
        let worldSize = try integer(object, "world_size", 1...worldSizeLimit)
        guard let hash = object["config_hash"] as? String, hash.utf8.count <= 256 else {
            throw CheckpointStateFieldError(field: "config_hash", problem: "must be a string of at most 256 characters")
        }
        guard let metricsObject = (object["metrics"] ?? [String: Any]()) as? [String: Any], metricsObject.count <= 10_000 else {
            throw CheckpointStateFieldError(field: "metrics", problem: "must be an object of names and numbers")
        }
        let exact = try? JSONDecoder().decode(ExactNumbers.self, from: data)
        var metrics: [String: Double] = [:]
        for (name, value) in metricsObject {
            let n = try number(value, "metrics.\(name)", allowNonFinite: true)
            metrics[name] = n.isFinite ? exact?.metrics[name] ?? n : n
        }
        var window = object["report_window"] == nil && format < 3 ? ReportWindowTotals() : try reportWindow(object, stepInEpoch: stepInEpoch)
        if window.lossSum.isFinite, let lossSum = exact?.lossSum { window.lossSum = lossSum }
        guard let filesObject = object["files"] as? [String: Any] else {
            throw CheckpointStateFieldError(field: "files", problem: "is missing or not an object of file checksums")
        }
        var files: [String: CheckpointFileDigest] = [:]
        for (name, value) in filesObject {
            guard let entry = value as? [String: Any] else {
                throw CheckpointStateFieldError(field: "files.\(name)", problem: "must be an object with sha256 and bytes")
            }
            guard let sha = entry["sha256"] as? String, sha.utf8.count == 64,
                  sha.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw CheckpointStateFieldError(field: "files.\(name).sha256", problem: "must be 64 lower-case hex digits")
            }
            files[name] = CheckpointFileDigest(sha256: sha, bytes: try integer(entry, "bytes", 0...fieldLimit, prefix: "files.\(name)."))
        }
        var state = CheckpointState(position: TrainingPosition(epoch: epoch, stepInEpoch: stepInEpoch, globalStep: globalStep),
                                    learningRate: learningRate, seed: seed, worldSize: worldSize, configHash: hash, metrics: metrics)
        state.formatVersion = format
        state.skippedSteps = skipped
        state.reportWindow = window
        state.configStart = try configStart(object, state: state)
        state.files = files
        return state
    }

    /// What a checkpoint's position must fit: the run's epochs, the optimizer steps in one epoch,
    /// and the number of training samples (no epoch has more steps than samples); or, for a job
    /// budgeted in steps, that budget (`steps`, default nil). `configHash` is the current job's
    /// (default nil: unknown); a checkpoint of the same hash was saved by this very job.
    public struct Bounds: Sendable {
        /// The job's epochs.
        public var epochs: Int
        /// Optimizer steps in one epoch of the job's data.
        public var stepsPerEpoch: Int
        /// Samples in the training split.
        public var trainSamples: Int
        /// The job's steps budget, nil for an epochs job.
        public var steps: Int?
        /// The job's config hash, nil when unknown (then `global_step` gets only the loose bound).
        public var configHash: String?
        public init(epochs: Int, stepsPerEpoch: Int, trainSamples: Int, steps: Int? = nil, configHash: String? = nil) {
            (self.epochs, self.stepsPerEpoch, self.trainSamples, self.steps) = (epochs, stepsPerEpoch, trainSamples, steps)
            self.configHash = configHash
        }
    }

    /// Checks the position against the job and its data: `epoch` ≤ the job's epochs,
    /// `step_in_epoch` < steps per epoch (0 once every epoch is done), and `global_step` no more
    /// than the steps the epochs before could hold (a changed batch size changes steps per epoch,
    /// so the bound is one step per training sample). When the checkpoint's config hash is the
    /// job's and it records where that config began (`config_start`) with today's steps per
    /// epoch, `global_step` must be exactly the one that start gives.
    /// - Throws: `CheckpointStateFieldError` naming the field and the valid range.
    /// With a steps budget the position is the global step alone: `epoch` 0, `step_in_epoch`
    /// equal to `global_step`, at most the job's steps.
    public func check(against bounds: Bounds) throws {
        if let steps = bounds.steps {
            guard epoch == 0 else {
                throw CheckpointStateFieldError(field: "epoch", problem: "\(epoch) is not 0, but the job is budgeted in steps "
                    + "(valid: 0; a checkpoint past its first epoch was saved by a job budgeted in epochs)")
            }
            guard globalStep <= steps else {
                throw CheckpointStateFieldError(field: "global_step", problem: "\(globalStep) is beyond the job's \(steps) steps "
                    + "(valid: 0...\(steps); raise job.steps with --set to train further)")
            }
            guard stepInEpoch == globalStep else {
                throw CheckpointStateFieldError(field: "step_in_epoch", problem: "\(stepInEpoch) differs from global_step \(globalStep) "
                    + "(valid: \(globalStep) for a job budgeted in steps)")
            }
            return
        }
        guard epoch <= bounds.epochs else {
            throw CheckpointStateFieldError(field: "epoch", problem: "\(epoch) is beyond the job's \(bounds.epochs) epochs "
                + "(valid: 0...\(bounds.epochs); raise job.epochs with --set to train further)")
        }
        let maxInEpoch = epoch == bounds.epochs ? 0 : bounds.stepsPerEpoch - 1
        guard stepInEpoch <= maxInEpoch else {
            throw CheckpointStateFieldError(field: "step_in_epoch", problem: "\(stepInEpoch) is out of range "
                + "(valid: 0...\(maxInEpoch) with \(bounds.stepsPerEpoch) steps per epoch at epoch \(epoch))")
        }
        if let hash = bounds.configHash, !hash.isEmpty, hash == configHash,
           let start = configStart, start.stepsPerEpoch == bounds.stepsPerEpoch {
            let expected = start.globalStep(at: position)
            guard globalStep == expected else {
                throw CheckpointStateFieldError(field: "global_step", problem: "\(globalStep) disagrees with epoch \(epoch) and "
                    + "step_in_epoch \(stepInEpoch) at \(bounds.stepsPerEpoch) steps per epoch of the same config (valid: \(expected))")
            }
            return
        }
        let maxGlobal = epoch * max(bounds.trainSamples, bounds.stepsPerEpoch) + stepInEpoch
        guard globalStep <= maxGlobal else {
            throw CheckpointStateFieldError(field: "global_step", problem: "\(globalStep) is more than \(epoch) epochs "
                + "and \(stepInEpoch) steps can hold (valid: \(stepInEpoch)...\(maxGlobal))")
        }
    }

    /// `config_start` when present: whole numbers, at or before the checkpoint's own position.
    private static func configStart(_ object: [String: Any], state: CheckpointState) throws -> ConfigStart? {
        let field = "config_start"
        guard let value = object[field] else { return nil }
        guard let start = value as? [String: Any] else {
            throw CheckpointStateFieldError(field: field, problem: "must be an object with epoch, step_in_epoch, global_step and steps_per_epoch")
        }
        let prefix = field + "."
        return ConfigStart(epoch: try integer(start, "epoch", 0...state.epoch, prefix: prefix),
                           stepInEpoch: try integer(start, "step_in_epoch", 0...fieldLimit, prefix: prefix),
                           globalStep: try integer(start, "global_step", 0...state.globalStep, prefix: prefix),
                           stepsPerEpoch: try integer(start, "steps_per_epoch", 1...fieldLimit, prefix: prefix))
    }

    /// `report_window`: a loss sum (any number, "nan" and infinities included), whole counts in
    /// range, no more steps than `step_in_epoch` (the window lies within the epoch or budget) and
    /// no more correct predictions than predictions.
    private static func reportWindow(_ object: [String: Any], stepInEpoch: Int) throws -> ReportWindowTotals {
        let field = "report_window"
        guard let window = object[field] as? [String: Any] else {
            throw CheckpointStateFieldError(field: field, problem: object[field] == nil ? "is missing"
                : "must be an object with loss_sum, loss_count, steps, correct and predictions")
        }
        let lossSum = try number(window["loss_sum"], "\(field).loss_sum", allowNonFinite: true)
        let lossCount = try integer(window, "loss_count", 0...fieldLimit, prefix: "\(field).")
        let steps = try integer(window, "steps", 0...stepInEpoch, prefix: "\(field).")
        let predictions = try integer(window, "predictions", 0...fieldLimit, prefix: "\(field).")
        let correct = try integer(window, "correct", 0...predictions, prefix: "\(field).")
        return ReportWindowTotals(lossSum: lossSum, lossCount: lossCount, steps: steps, correct: correct, predictions: predictions)
    }

    /// The finite numbers of `metrics` and `report_window.loss_sum` decoded again by JSONDecoder,
    /// which rounds correctly (JSONSerialization may miss a number's last bit).
    private struct ExactNumbers: Decodable {
        var metrics: [String: Double] = [:]
        var lossSum: Double?
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        init(from decoder: Decoder) throws {
            let top = try decoder.container(keyedBy: Key.self)
            if let m = try? top.nestedContainer(keyedBy: Key.self, forKey: Key(stringValue: "metrics")) {
                for key in m.allKeys { metrics[key.stringValue] = try? m.decode(Double.self, forKey: key) }
            }
            let window = try? top.nestedContainer(keyedBy: Key.self, forKey: Key(stringValue: "report_window"))
            lossSum = try? window?.decode(Double.self, forKey: Key(stringValue: "loss_sum"))
        }
    }

    private static func integer(_ object: [String: Any], _ key: String, _ range: ClosedRange<Int>,
                                prefix: String = "") throws -> Int {
        let field = prefix + key
        let value = try number(object[key], field)
        guard value.isFinite, value == value.rounded(.towardZero) else {
            throw CheckpointStateFieldError(field: field, problem: "\(value) is not a whole number (valid: \(range.lowerBound)...\(range.upperBound))")
        }
        guard value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            throw CheckpointStateFieldError(field: field, problem: "\(value) is out of range (valid: \(range.lowerBound)...\(range.upperBound))")
        }
        return Int(value)
    }

    private static func unsigned(_ object: [String: Any], _ key: String) throws -> UInt64 {
        guard let n = object[key] as? NSNumber, !isBoolean(n) else {
            throw CheckpointStateFieldError(field: key, problem: object[key] == nil ? "is missing" : "must be a whole number ≥ 0")
        }
        if let exact = UInt64(n.stringValue) { return exact }
        let d = n.doubleValue
        guard d.isFinite, d >= 0, d < 9.2e18, d == d.rounded() else {
            throw CheckpointStateFieldError(field: key, problem: "\(n.stringValue) is not a whole number from 0 to 2^64-1")
        }
        return UInt64(d)
    }

    private static func number(_ value: Any?, _ field: String, allowNonFinite: Bool = false) throws -> Double {
        guard let value else { throw CheckpointStateFieldError(field: field, problem: "is missing") }
        if allowNonFinite, let text = value as? String {
            switch text {
            case "nan": return .nan
            case "inf": return .infinity
            case "-inf": return -.infinity
            default: break
            }
        }
        guard let n = value as? NSNumber, !isBoolean(n) else {
            throw CheckpointStateFieldError(field: field, problem: "must be a number, not \(typeName(value))")
        }
        return n.doubleValue
    }

    private static func isBoolean(_ n: NSNumber) -> Bool {
        n is Bool && String(cString: n.objCType) == "c"
    }

    private static func typeName(_ value: Any) -> String {
        switch value {
        case is String: return "a string"
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        default: return "true/false"
        }
    }
}
