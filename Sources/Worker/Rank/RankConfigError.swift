// RankConfigError: rank 0 could not read the config, and every rank ends with its message.
import Model

/// Rank 0 could not read the config: every rank ends with exit code 2.
public struct RankConfigError: UsageError {
    /// The config file's path, which the message is shown under.
    public var file = ""
    /// The error rank 0 met.
    public var message: String
    public var description: String { "\(file): \(message)" }
}
