// ObjectiveCommand: `ringtrain objective branin --x1=.. --x2=..` (hidden) — a test function of
// `SearchProblem` as a sweep program objective, printing {"value": ...}; the search benchmark sweeps over it.
import ArgumentParser
import Coordinator
import Foundation
import Worker

struct ObjectiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "objective", shouldDisplay: false)

    @Argument(help: "The function: branin, hartmann3, levy4 or hartmann6.")
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
        guard let problem = SearchProblem.named(function) else {
            throw ValidationError("unknown function \(function): branin, hartmann3, levy4 or hartmann6")
        }
        let x = try (1...problem.dimension).map { i in
            guard let v = values["x\(i)"] else { throw ValidationError("\(function) needs --x1 … --x\(problem.dimension)") }
            return v
        }
        print(jsonLine(["value": problem.function(x)]))
    }
}
