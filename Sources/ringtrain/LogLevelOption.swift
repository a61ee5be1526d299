// LogLevelOption: the global `--log-level LEVEL`, taken out of the arguments before subcommand
// parsing so it works anywhere on the line, and handed to this process and its children.
import Foundation
import Logging
import Worker

/// The `--log-level` option every command accepts.
enum LogLevelOption {
    /// `arguments` without any `--log-level LEVEL` / `--log-level=LEVEL` before a `--`; the
    /// last one given becomes the level of this process and of every process it starts
    /// (`Log.setLevel`). Exits with status 2 on a level that does not exist, given here or, with no
    /// `--log-level`, in RINGTRAIN_LOG_LEVEL.
    static func apply(_ arguments: [String]) -> [String] {
        var remaining: [String] = [], index = 0, given: String?
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { remaining += arguments[index...]; break }
            if argument == "--log-level" {
                given = index + 1 < arguments.count ? arguments[index + 1] : ""
                index += 2
                continue
            }
            if argument.hasPrefix("--log-level=") {
                given = String(argument.dropFirst("--log-level=".count))
                index += 1
                continue
            }
            remaining.append(argument)
            index += 1
        }
        if let given {
            guard let level = Logger.Level(rawValue: given) else {
                printError("--log-level: '\(given)' is not a level; use one of \(Log.levelNames.joined(separator: ", "))")
                exit(ExitStatus.usage)
            }
            Log.setLevel(level)
        } else if let inherited = ProcessInfo.processInfo.environment[Log.levelVariable], !inherited.isEmpty,
                  Logger.Level(rawValue: inherited) == nil {
            printError("\(Log.levelVariable)='\(inherited)' is not a level; use one of \(Log.levelNames.joined(separator: ", ")), or unset it")
            exit(ExitStatus.usage)
        }
        return remaining
    }
}
