// StandardErrorLogHandler: writes each log message as one line on standard error, tagged with
// the MPI rank when the process is one of several, and labelled with its level above info.
import Foundation
import Logging

/// One line per message on standard error, written with a single `write` so lines from
/// concurrent ranks never interleave mid-line:
///
///     [label: ][rank R of N: ]message[ key=value ...]
///
/// The label names the level for every level except `info` (`note` for notice, then
/// `warning`, `error`, `critical`, and `debug` / `trace` below info). The rank tag appears
/// under mpirun (OMPI_COMM_WORLD_RANK / OMPI_COMM_WORLD_SIZE) when the job has more than one rank.
public struct StandardErrorLogHandler: LogHandler {
    /// Messages below this level are dropped (default `info`).
    public var logLevel: Logger.Level
    /// Metadata added to every message of this handler (default none).
    public var metadata: Logger.Metadata = [:]
    /// The `rank R of N: ` prefix, or "" outside a multi-rank MPI job.
    let rankTag: String

    /// A handler at `level` (default `info`); the rank tag is read from the environment
    /// mpirun sets (default: the current process's environment).
    public init(label: String, level: Logger.Level = .info,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        logLevel = level
        if let rank = environment["OMPI_COMM_WORLD_RANK"], let size = environment["OMPI_COMM_WORLD_SIZE"],
           let count = Int(size), count > 1 {
            rankTag = "rank \(rank) of \(count): "
        } else {
            rankTag = ""
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The line for a message, without its newline.
    public func line(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata? = nil) -> String {
        let all = metadata.merging(extra ?? [:]) { _, new in new }
        let suffix = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return Self.label(level) + rankTag + message.description + suffix
    }

    public func log(event: LogEvent) {
        let text = line(level: event.level, message: event.message, metadata: event.metadata) + "\n"
        FileHandle.standardError.writeText(text)
    }

    /// The level's label with ": ", or "" for info.
    static func label(_ level: Logger.Level) -> String {
        switch level {
        case .info: return ""
        case .notice: return "note: "
        default: return level.rawValue + ": "
        }
    }
}
