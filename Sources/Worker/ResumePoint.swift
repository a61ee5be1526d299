// ResumePoint: where a resumed run continues, as it crosses from rank 0 (which loaded and checked
// the checkpoint) to every other rank: rank 0's encoded CheckpointState plus the optimizer's step.
import Foundation

/// Rank 0's checkpoint state and what it decided about the optimizer, broadcast as JSON.
struct ResumePoint: Codable, Sendable, Equatable {
    /// The checkpoint's state.json, as rank 0 loaded it.
    var state: CheckpointState
    /// The optimizer's step count to continue from (0 when its state is reset).
    var optimizerStepCount: Int
    /// Whether the optimizer starts from zero state (`--reset-optimizer` and a mismatch).
    var resetOptimizer: Bool

    enum CodingKeys: String, CodingKey {
        case state, optimizerStepCount = "optimizer_step_count", resetOptimizer = "reset_optimizer"
    }

    /// The bytes rank 0 broadcasts (non-finite metrics as strings, as in state.json).
    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return Array(try encoder.encode(self))
    }

    /// Reads the bytes `encoded()` wrote.
    static func decode(_ bytes: [UInt8]) throws -> ResumePoint {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(ResumePoint.self, from: Data(bytes))
    }
}
