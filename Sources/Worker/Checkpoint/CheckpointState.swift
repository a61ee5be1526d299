// CheckpointState: the contents of a checkpoint's state.json — where training stood, what it
// was trained with, the latest metrics, and the SHA-256 and size of every file beside it.
import Foundation

/// The SHA-256 and size of one checkpoint file, as recorded in state.json.
public struct CheckpointFileDigest: Codable, Sendable, Equatable {
    /// Lower-case hex SHA-256 of the whole file.
    public var sha256: String
    /// Size in bytes.
    public var bytes: Int

    public init(sha256: String, bytes: Int) { (self.sha256, self.bytes) = (sha256, bytes) }
}

/// The position at which a run's current config began (0 for a new run; the resume position after
/// a resume that changed the config or the steps per epoch), and its steps per epoch. From it, a
/// checkpoint of the same config has exactly one valid `global_step`.
public struct ConfigStart: Codable, Sendable, Equatable {
    /// 0-based epoch at the start.
    public var epoch: Int
    /// Steps already taken in that epoch at the start.
    public var stepInEpoch: Int
    /// Global step at the start.
    public var globalStep: Int
    /// Optimizer steps per epoch under this config.
    public var stepsPerEpoch: Int

    public init(epoch: Int = 0, stepInEpoch: Int = 0, globalStep: Int = 0, stepsPerEpoch: Int) {
        (self.epoch, self.stepInEpoch, self.globalStep, self.stepsPerEpoch) = (epoch, stepInEpoch, globalStep, stepsPerEpoch)
    }

    /// The same start at another position with `stepsPerEpoch` (a resume that changed the run).
    public init(at position: TrainingPosition, stepsPerEpoch: Int) {
        self.init(epoch: position.epoch, stepInEpoch: position.stepInEpoch, globalStep: position.globalStep, stepsPerEpoch: stepsPerEpoch)
    }

    /// The one global step a position of this config can have: the start's, plus the steps from
    /// the start's place in its epoch to `position`'s place.
    public func globalStep(at position: TrainingPosition) -> Int {
        globalStep + (position.epoch - epoch) * stepsPerEpoch + position.stepInEpoch - stepInEpoch
    }

    enum CodingKeys: String, CodingKey {
        case epoch, stepInEpoch = "step_in_epoch", globalStep = "global_step", stepsPerEpoch = "steps_per_epoch"
    }
}

/// Everything besides the tensors that a resume needs, stored as state.json.
public struct CheckpointState: Encodable, Sendable, Equatable {
    /// The format version this code writes; loading rejects newer versions.
    /// Version 2 adds `skipped_steps` and the `state.sha256` file beside state.json; version 1
    /// checkpoints (no such file, no skipped steps) still load. Version 3 adds `report_window`;
    /// earlier versions load with an empty one.
    public static let currentFormatVersion = 3

    /// state.json's format version (default `currentFormatVersion`).
    public var formatVersion: Int
    /// Optimizer steps taken since the start of training.
    public var globalStep: Int
    /// 0-based epoch being trained.
    public var epoch: Int
    /// Optimizer steps already taken within that epoch.
    public var stepInEpoch: Int
    /// The learning rate at this step (the schedule itself is a pure function of the step).
    public var learningRate: Double
    /// The run's seed.
    public var seed: UInt64
    /// Number of ranks when the checkpoint was saved.
    public var worldSize: Int
    /// Hash of the resolved config that produced the checkpoint (opaque to the store).
    public var configHash: String
    /// Optimizer steps skipped because the averaged gradients were not finite (fp16 overflow);
    /// counted in `globalStep` too (default 0).
    public var skippedSteps = 0
    /// The training figures since the last metrics line, summed across ranks (default empty).
    public var reportWindow = ReportWindowTotals()
    /// Where the run's current config took over and its steps per epoch (nil in checkpoints that
    /// do not record it): with the same config, `global_step` follows from it exactly.
    public var configStart: ConfigStart?
    /// The latest metrics by name, e.g. `val_loss`, `val_acc` (default empty).
    public var metrics: [String: Double]
    /// SHA-256 and size of each tensor file, by file name; filled in by `CheckpointStore.save`.
    public var files: [String: CheckpointFileDigest]

    /// Creates a state; `files` is filled in when the checkpoint is saved.
    public init(position: TrainingPosition, learningRate: Double, seed: UInt64, worldSize: Int,
                configHash: String, metrics: [String: Double] = [:]) {
        formatVersion = Self.currentFormatVersion
        (globalStep, epoch, stepInEpoch) = (position.globalStep, position.epoch, position.stepInEpoch)
        (self.learningRate, self.seed, self.worldSize, self.configHash, self.metrics) =
            (learningRate, seed, worldSize, configHash, metrics)
        files = [:]
    }

    /// Where training stood: epoch, step within it, global step.
    public var position: TrainingPosition {
        TrainingPosition(epoch: epoch, stepInEpoch: stepInEpoch, globalStep: globalStep)
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", globalStep = "global_step", epoch
        case stepInEpoch = "step_in_epoch", learningRate = "learning_rate", seed
        case worldSize = "world_size", configHash = "config_hash", metrics, files
        case skippedSteps = "skipped_steps", reportWindow = "report_window", configStart = "config_start"
    }

    /// state.json's bytes: pretty-printed, sorted keys; NaN and infinities as strings.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
