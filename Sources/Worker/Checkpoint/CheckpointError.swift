// CheckpointError: why a checkpoint could not be saved, verified or loaded — each case names the
// checkpoint and file, and `code` lets callers tell a changed model shape from a changed config.
import Foundation
import Model

/// A checkpoint that could not be saved, verified or loaded.
public struct CheckpointError: Error, CustomStringConvertible {
    /// The category of a failure, for callers that react differently to each.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        /// A file is missing, truncated, corrupt, or fails its checksum.
        public static let corrupt = Code(rawValue: "corrupt")
        /// The tensors' names or shapes differ from the expected model layout: the config
        /// changed the model's shape (or the optimizer), so the checkpoint cannot be used.
        public static let layoutMismatch = Code(rawValue: "layout-mismatch")
        /// The layout matches but the config hash differs: only other settings (e.g. epochs)
        /// changed.
        public static let configChanged = Code(rawValue: "config-changed")
        /// The folder holds no checkpoint at all.
        public static let noCheckpoint = Code(rawValue: "no-checkpoint")
        /// Checkpoints exist but none verified.
        public static let noValidCheckpoint = Code(rawValue: "no-valid-checkpoint")
        /// The file system refused an operation while saving or pruning.
        public static let io = Code(rawValue: "io")
        /// A save stopped on purpose by the test hook (`CheckpointStore.crashAfter`).
        public static let simulatedCrash = Code(rawValue: "simulated-crash")
        public var description: String { rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// The checkpoint (folder name, e.g. `step-00001200`) or checkpoints folder involved.
    public let checkpoint: String
    /// The file inside it, when one file is at fault.
    public let file: String?
    /// What is wrong.
    public let message: String
    /// For `noValidCheckpoint`: every checkpoint tried, with why it was skipped.
    public let skipped: [SkippedCheckpoint]
    /// For `configChanged`: the hash in the checkpoint and the one expected.
    public let configHashes: (saved: String, expected: String)?

    init(_ code: Code, checkpoint: String, file: String? = nil, _ message: String,
         skipped: [SkippedCheckpoint] = [], configHashes: (saved: String, expected: String)? = nil) {
        (self.code, self.checkpoint, self.file, self.message) = (code, checkpoint, file, message)
        (self.skipped, self.configHashes) = (skipped, configHashes)
    }

    /// A safetensors problem found while verifying `checkpoint`.
    static func corrupt(_ error: SafetensorsError, checkpoint: String) -> CheckpointError {
        CheckpointError(.corrupt, checkpoint: checkpoint, file: (error.file as NSString).lastPathComponent, error.problem)
    }

    public var description: String {
        var text = checkpoint
        if let file { text += "/\(file)" }
        text += ": \(message)"
        if !skipped.isEmpty {
            text += skipped.map { "\n  skipped \($0.name): \($0.reason)" }.joined()
        }
        return text
    }
}

/// A checkpoint that `loadNewestValid` tried and passed over.
public struct SkippedCheckpoint: Sendable, CustomStringConvertible {
    /// Folder name, e.g. `step-00001200` (or `latest` when the pointer itself is bad).
    public var name: String
    /// Why it was skipped.
    public var reason: String
    /// The failure's category.
    public var code: CheckpointError.Code
    public var description: String { "\(name): \(reason)" }
}
