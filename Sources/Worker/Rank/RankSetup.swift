// RankSetup: what a rank's life asks of the config side (which reads YAML and owns run folders):
// rank 0's resolved job in its canonical encoded form, decoding it on the other ranks, the
// cluster settings the ranks read, and the run folder's claim and config files.
import Collective
import Foundation
import Model

/// The config side of a rank's life; `RankLife` calls it, the coordinator implements it.
public protocol RankSetup {
    /// Rank 0: reads and checks the config. Throws a `UsageError` for a bad config.
    func load() throws -> AgreedJob
    /// Any rank but 0: the job from rank 0's `AgreedJob.encodedJob` (no YAML is read).
    func decodeJob(_ encoded: String) throws -> TrainingJob
    /// The config hash checkpoints record for `job`.
    func hash(job: TrainingJob) -> String
    /// Checks that `directory` may be used by this run (before and again after its lock is held).
    func claim(_ directory: String, resume: Bool) throws
    /// Refuses a new run in a folder that holds another job's files.
    func checkEarlierJob(_ directory: String, job: TrainingJob) throws
    /// Writes the run folder's config files for `running` (the job as the ranks run it).
    func writeConfigFiles(_ directory: String, running: TrainingJob) throws
    /// Rank 0: whether `directory` already holds the run's config files.
    func hasConfigFiles(_ directory: String) -> Bool
    /// The `--trace-steps` loop.
    func trace(job: TrainingJob, group: Collectives, steps: Int, options: RankOptions) throws
}

/// The settings of the `cluster` section that the ranks read, decoded from its canonical JSON.
public struct RankSettings: Sendable, Codable, Equatable {
    /// Default `failure_timeout` in seconds (60).
    public static let defaultFailureTimeout: Double = 60
    /// Seconds any wait on another rank may last before the job is ended (default 60).
    public var failureTimeout = RankSettings.defaultFailureTimeout
    /// Seconds a stopped run has to save and exit (default 60).
    public var stopGracePeriod: Double = 60

    public init() {}

    enum CodingKeys: String, CodingKey { case failureTimeout = "failure_timeout", stopGracePeriod = "stop_grace_period" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        failureTimeout = try c.decodeIfPresent(Double.self, forKey: .failureTimeout) ?? Self.defaultFailureTimeout
        stopGracePeriod = try c.decodeIfPresent(Double.self, forKey: .stopGracePeriod) ?? 60
    }
}

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

/// Rank 0 could not read the config: every rank ends with exit code 2.
public struct RankConfigError: UsageError {
    /// The config file's path, which the message is shown under.
    public var file = ""
    /// The error rank 0 met.
    public var message: String
    public var description: String { "\(file): \(message)" }
}
