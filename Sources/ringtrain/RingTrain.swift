// RingTrain: the command-line front end; one subcommand per file in this folder.
import ArgumentParser
import Coordinator
import Model

@main
struct RingTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringtrain",
        abstract: "Data-parallel neural-network training over MPI with a ring all-reduce.",
        subcommands: [Train.self, Sweep.self, Resume.self, Status.self, TensorBoard.self, Timeline.self, Sbatch.self, Report.self, Evaluate.self, Sample.self, Validate.self, WorkerCommand.self, Bench.self,
                      CollectiveCheckCommand.self, TrialExecCommand.self, ProgramRankCommand.self, ObjectiveCommand.self, BLASCheck.self])

    /// For --help only: `LogLevelOption` takes it out of the arguments before they are parsed,
    /// so it may stand before or after the subcommand.
    @Option(help: ArgumentHelp("Diagnostics on standard error at this level and above: trace, debug, info, notice, warning, error or critical (default info; RINGTRAIN_LOG_LEVEL sets it too; processes started from here inherit it).",
                               valueName: "level"))
    var logLevel: String?

    static func main() {
        // A program trial's rank shim execs the program at once: no BLAS kernel re-run or threads of its own.
        if CommandLine.arguments.dropFirst().first != ProgramRankCommand.configuration.commandName {
            BLASKernelReexec.apply()
            BLASThreads.applyDefault()
        }
        do {
            var command = try parseAsRoot(LogLevelOption.apply(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            exitForUnhandledError(error)
        }
    }
}
