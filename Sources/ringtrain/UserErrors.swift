// UserErrors: turns a user's mistake (bad config, bad data, impossible job) into one clear
// message on stderr and exit code 2; anything else is a failed run, exit code 1.
import ArgumentParser
import Coordinator
import Foundation
import Logging
import Model
import Worker

/// Exit codes every command shares (see README): 0 ok, 1 run failed, 2 usage or config error,
/// 3 interrupted after saving a checkpoint (resumable).
enum ExitStatus {
    static let failed: Int32 = 1
    static let usage: Int32 = 2
    static let interrupted: Int32 = 3
}

/// Logs `message` as an error (standard error, `error: ` in front).
func printError(_ message: String) {
    Log.logger.error("\(message)")
}

/// Logs the warnings of `config` (settings that do nothing, or likely not what was meant).
func printWarnings(_ config: RunConfig) {
    for warning in ConfigWarnings.of(config) { Log.logger.warning("\(warning)") }
}

/// Runs `body`, mapping known error types to a message and an exit code.
func exitOnUserError(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as any UsageError {
        printError(error.description)
        throw ExitCode(ExitStatus.usage)
    } catch let error as LaunchError {
        printError(error.description)
        throw ExitCode(ExitStatus.failed)
    } catch let error as ExitCode {
        throw error
    } catch {
        printError("\(error)")
        throw ExitCode(ExitStatus.failed)
    }
}

/// Ends the process for an error no command handled: argument mistakes (ArgumentParser's exit
/// code 64) exit with 2 like every other usage error, after the parser's message and usage.
func exitForUnhandledError(_ error: Error) -> Never {
    if RingTrain.exitCode(for: error) == .validationFailure {
        FileHandle.standardError.writeText(RingTrain.fullMessage(for: error) + "\n")
        RingTrain.exit(withError: ExitCode(ExitStatus.usage))
    }
    RingTrain.exit(withError: error)
}
