// ResumePoint: where a resumed run continues, as it crosses from rank 0 (which loaded and checked
// the checkpoint) to every other rank: rank 0's state.json bytes plus the optimizer's step.
import Foundation

/// Rank 0's checkpoint state and what it decided about the optimizer, as broadcast to every rank.
struct ResumePoint: Sendable, Equatable {
    /// The checkpoint's state, as rank 0 loaded it.
    var state: CheckpointState
    /// The optimizer's step count to continue from (0 when its state is reset).
    var optimizerStepCount: Int
    /// Whether the optimizer starts from zero state (`--reset-optimizer` and a mismatch).
    var resetOptimizer: Bool

    /// The bytes rank 0 broadcasts: one line `STEP RESET` (RESET 0 or 1), then the state in
    /// state.json's own encoding, which every rank reads back through the checked reader.
    func encoded() throws -> [UInt8] {
        Array("\(optimizerStepCount) \(resetOptimizer ? 1 : 0)\n".utf8) + Array(try state.encoded())
    }

    /// Reads the bytes `encoded()` wrote; throws on anything else.
    static func decode(_ bytes: [UInt8]) throws -> ResumePoint {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            throw TrainingError("the resume point from rank 0 has no header line")
        }
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
        guard header.count == 2, let step = Int(header[0]), step >= 0, let reset = Int(header[1]), reset == 0 || reset == 1 else {
            throw TrainingError("the resume point from rank 0 has a malformed header line")
        }
        let state = try CheckpointState.decode(Data(bytes[(newline + 1)...]))
        return ResumePoint(state: state, optimizerStepCount: step, resetOptimizer: reset == 1)
    }
}
