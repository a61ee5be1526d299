// RingTrain: the command-line front end; one subcommand per file in this folder.
import ArgumentParser
import Model

@main
struct RingTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringtrain",
        abstract: "Data-parallel neural-network training over MPI with a ring all-reduce.",
        subcommands: [Train.self, WorkerCommand.self, Validate.self, Report.self, Bench.self, CollectiveCheck.self])

    static func main() {
        BLASThreads.applyDefault()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
