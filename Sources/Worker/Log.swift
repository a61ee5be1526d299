// Log: the program's diagnostics (progress notes, warnings, retries) through swift-log, at the
// level RINGTRAIN_LOG_LEVEL names, so every process a launcher starts logs like the one that started it.
import Foundation
import Logging

/// Where diagnostics go. Output that is the program's product (reports, tables, JSON lines,
/// metrics) stays on standard output and never goes through here.
public enum Log {
    /// The environment variable holding the level, which processes started from this one
    /// inherit (mpirun passes it to every rank with `-x`).
    public static let levelVariable = "RINGTRAIN_LOG_LEVEL"

    /// The levels in order, as `--log-level` and RINGTRAIN_LOG_LEVEL spell them.
    public static let levelNames = Logger.Level.allCases.map(\.rawValue)

    /// The level in force: RINGTRAIN_LOG_LEVEL when it names one, else `info`.
    public static var level: Logger.Level {
        ProcessInfo.processInfo.environment[levelVariable].flatMap(Logger.Level.init(rawValue:)) ?? .info
    }

    /// Sets the level of this process and of every process it starts afterwards.
    public static func setLevel(_ level: Logger.Level) {
        setenv(levelVariable, level.rawValue, 1)
    }

    /// The logger: one line per message on standard error (see `StandardErrorLogHandler`),
    /// at the level in force when it is asked for. Errors always show, whatever the level (a
    /// run that fails always says why), so `critical` logs as `error` does.
    public static var logger: Logger {
        Logger(label: "ringtrain") { label in StandardErrorLogHandler(label: label, level: min(level, .error)) }
    }
}
