// RankSettings: the settings of the config's `cluster` section that the ranks themselves read,
// decoded from the canonical JSON rank 0 sends.
import Collective
import Foundation

/// The settings of the `cluster` section that the ranks read, decoded from its canonical JSON.
public struct RankSettings: Sendable, Codable, Equatable {
    /// Default `failure_timeout` in seconds (60).
    public static let defaultFailureTimeout: Double = 60
    /// Seconds any wait on another rank may last before the job is ended (default 60).
    public var failureTimeout = RankSettings.defaultFailureTimeout
    /// The all-reduce `cluster.allreduce` asks for (default ring).
    public var allReduce = AllReduceChoice.ring
    /// Whether the ranks of a host average through memory they share (`cluster.shared_memory`, default true).
    public var sharedMemory = true

    public init() {}

    enum CodingKeys: String, CodingKey {
        case failureTimeout = "failure_timeout"
        case allReduce = "allreduce"
        case sharedMemory = "shared_memory"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        failureTimeout = try c.decodeIfPresent(Double.self, forKey: .failureTimeout) ?? Self.defaultFailureTimeout
        allReduce = try c.decodeIfPresent(AllReduceChoice.self, forKey: .allReduce) ?? .ring
        sharedMemory = try c.decodeIfPresent(Bool.self, forKey: .sharedMemory) ?? true
    }
}
