// Bench: the `ringtrain bench` group; one subcommand per benchmark.
// Each benchmark prints a table, or one JSON object per row with --json.
import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of ringtrain's parts.",
        subcommands: [BenchTrain.self, BenchAllReduce.self, BenchScaling.self, BenchCheckpoint.self, BenchSearch.self])
}
