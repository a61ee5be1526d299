// TrialExecCommand: `ringtrain trial-exec DIR --attempt N -- COMMAND...` (hidden) — the supervisor
// each sweep trial runs under; it records the attempt's end in DIR (see TrialExec).
import ArgumentParser
import Coordinator

struct TrialExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trial-exec", shouldDisplay: false)

    @Argument(help: "The trial folder.")
    var directory: String

    @Option(parsing: .unconditional, help: "The attempt's number, recorded with its exit status.")
    var attempt: Int

    @Option(parsing: .unconditional, help: "Seconds the command may run (default: no limit).")
    var timeout: Double?

    @Option(parsing: .unconditional, help: "Seconds between SIGTERM and SIGKILL when stopping (default 60).")
    var grace: Double = 60

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds to wait for the trial's processes after SIGKILL before naming those left (default 5).",
                               visibility: .hidden))
    var killWait: Double = 5

    @Flag(help: ArgumentHelp("The command launches a distributed program's ranks: a stop asks its ranks here first, then the launcher.",
                             visibility: .hidden))
    var stopEveryProcess = false

    @Argument(parsing: .postTerminator, help: "The command to run.")
    var command: [String] = []

    func run() throws {
        let limits = TrialExec.Limits(attempt: attempt, timeout: timeout, grace: grace, killWait: killWait, stopEveryProcess: stopEveryProcess)
        let status = try TrialExec.supervise(directory: directory, limits: limits, command: command)
        if status != 0 { throw ExitCode(status) }
    }
}
