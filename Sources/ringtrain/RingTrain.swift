// RingTrain: the command-line front end; one subcommand per file in this folder.
import ArgumentParser

@main
struct RingTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringtrain",
        abstract: "Data-parallel neural-network training over MPI with a ring all-reduce.",
        subcommands: [Bench.self, CollectiveCheck.self])
}
