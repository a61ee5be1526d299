// RingTrain: the command-line front end; one subcommand per file in this folder.
import ArgumentParser
import Model

@main
struct RingTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringtrain",
        abstract: "Data-parallel neural-network training over MPI with a ring all-reduce.",
        subcommands: [Train.self, Sweep.self, Resume.self, Report.self, Evaluate.self, Sample.self, Validate.self, WorkerCommand.self, Bench.self,
                      CollectiveCheck.self, TrialExecCommand.self, ObjectiveCommand.self, BLASCheck.self])

    static func main() {
        BLASKernelReexec.apply()
        BLASThreads.applyDefault()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exitForUnhandledError(error)
        }
    }
}
