// BenchCommand: `ringtrain bench ...` — the benchmark commands, each printing a table, or one
// JSON object per row with --json.
import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed: training throughput, all-reduce bandwidth, ...",
        subcommands: [BenchTrain.self])
}
