// ObjectiveCommand: `ringtrain objective branin --x1=.. --x2=..` (hidden) — a test function as a
// sweep program objective, printing {"value": ...}; the search benchmark sweeps over it.
import ArgumentParser
import Coordinator
import Foundation
import Worker

struct ObjectiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "objective", shouldDisplay: false)

    @Argument(help: "The function: branin.")
    var function: String

    @Argument(parsing: .allUnrecognized, help: "--name=value arguments.")
    var arguments: [String] = []

    func run() throws {
        var values: [String: Double] = [:]
        for argument in arguments {
            let parts = argument.drop { $0 == "-" }.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let v = Double(parts[1]) else { throw ValidationError("expected --name=number, got \(argument)") }
            values[String(parts[0])] = v
        }
        guard function == "branin", let x1 = values["x1"], let x2 = values["x2"] else {
            throw ValidationError("usage: ringtrain objective branin --x1=X --x2=Y")
        }
        print(jsonLine(["value": SearchBenchmark.branin(x1, x2)]))
    }
}
