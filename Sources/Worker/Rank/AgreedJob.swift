// AgreedJob: the job every rank runs as rank 0 resolved it, with the canonical JSON of the job
// and of the cluster section, and the message that carries them (or rank 0's config error).
import Foundation
import Model

/// The job every rank runs, as rank 0 resolved it, with its canonical encoded form.
public struct AgreedJob: Sendable {
    /// The job as rank 0 read it (before `ranks` follows the ranks started).
    public var job: TrainingJob
    /// The job's canonical JSON (the text the config hash is taken of).
    public var encodedJob: String
    /// The `cluster` section's canonical JSON.
    public var encodedCluster: String

    public init(job: TrainingJob, encodedJob: String, encodedCluster: String) {
        (self.job, self.encodedJob, self.encodedCluster) = (job, encodedJob, encodedCluster)
    }

    /// The cluster settings the ranks read.
    public func settings() throws -> RankSettings {
        do {
            return try JSONDecoder().decode(RankSettings.self, from: Data(encodedCluster.utf8))
        } catch {
            throw TrainingError("the cluster settings from rank 0 do not decode: \(error)")
        }
    }

    /// What rank 0 broadcasts: `OK`, the job's and the cluster's canonical JSON, one per line.
    var message: [UInt8] { Array(("OK\n" + encodedJob + "\n" + encodedCluster).utf8) }

    /// Splits a broadcast `message`: the job's and the cluster's JSON, or the error text rank 0 sent.
    static func parts(of message: [UInt8]) -> Result<(job: String, cluster: String), RankConfigError> {
        let text = String(decoding: message, as: UTF8.self)
        guard text.hasPrefix("OK\n") else { return .failure(RankConfigError(message: String(text.dropFirst(4)))) }
        let lines = text.dropFirst(3).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        return .success((String(lines[0]), lines.count > 1 ? String(lines[1]) : "{}"))
    }
}
