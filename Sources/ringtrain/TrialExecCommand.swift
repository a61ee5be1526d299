// TrialExecCommand: `ringtrain trial-exec DIR -- COMMAND...` (hidden) — the supervisor each sweep
// trial runs under; it records the command's exit status in DIR (see TrialExec).
import ArgumentParser
import Coordinator

struct TrialExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trial-exec", shouldDisplay: false)

    @Argument(help: "The trial folder.")
    var directory: String

    @Argument(parsing: .postTerminator, help: "The command to run.")
    var command: [String] = []

    func run() throws {
        let status = try TrialExec.supervise(directory: directory, command: command)
        if status != 0 { throw ExitCode(status) }
    }
}
