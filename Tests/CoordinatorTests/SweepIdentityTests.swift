// Sweep identity and limits: a sweep is recognised by what its config means (not its comments),
// a huge values list is checked in linear time, and a sweep's duration settings read as written.
import Foundation
import Testing
@testable import Coordinator

private let program = "sweep:\n  method: random\n  run_cap: 3\n  metric: {name: score}\n  program: objective.sh\n"

@Test("the identity ignores comments and layout, and changes with what the config means")
func identityIsMeaning() throws {
    func identity(_ text: String, overrides: [String] = []) throws -> String {
        SweepRunner.identity(of: try RunConfig(file: ConfigFile.parse(text: text, path: sweepDirectory + "/s.yaml", overrides: overrides)))
    }
    let base = program + "  parameters:\n    x: {min: 0.0, max: 1.0}\n"
    let commented = "# my sweep\n" + program + "  parameters:   # what we vary\n    x:\n      min: 0.0\n      max: 1.0\n"
    #expect(try identity(base) == identity(commented))
    #expect(try identity(base) != identity(base.replacingOccurrences(of: "max: 1.0", with: "max: 2.0")))
    #expect(try identity(base) != identity(base, overrides: ["sweep.run_cap=4"]))
}

@Test("10,000 listed values are checked, each against the job, and duplicates found in one pass")
func manyValuesAreChecked() throws {
    let values = (1...10_000).map { "0.\(String(format: "%05d", $0))" }
    let sweep = "sweep:\n  method: random\n  run_cap: 5\n  metric: {name: val_loss}\n  parameters:\n    optimizer.lr: {values: [%@]}\n"
    let (_, spec) = try loadSweep(sweep.replacingOccurrences(of: "%@", with: values.joined(separator: ", ")))
    #expect(spec.space.parameters[0].distribution.valueCount == 10_000)
    do {
        _ = try loadSweep(sweep.replacingOccurrences(of: "%@", with: (values.dropLast() + ["0.00001"]).joined(separator: ", ")))
        Issue.record("expected the duplicate to be found")
    } catch let error as ConfigError {
        #expect(error.keyPath == "sweep.parameters.optimizer.lr.values[9999]" && error.message.contains("listed twice"), "\(error)")
    }
}

@Test("an alias bomb anywhere in the document is refused at the key where it overflows")
func aliasBombElsewhere() throws {
    do {
        _ = try ConfigFile.parse(text: "job:\n  name: [\(aliasBomb)]\n", path: "bomb.yaml")
        Issue.record("expected the node limit")
    } catch let error as ConfigError {
        #expect(error.keyPath.hasPrefix("job.name"), "\(error)")
        #expect(error.description.contains("more than 200000"), "\(error)")
    }
}

@Test("trial_timeout takes seconds or a number with a unit")
func trialTimeoutUnits() throws {
    for (text, seconds) in [("90", 90.0), ("90s", 90), ("30m", 1800), ("2h", 7200), ("1.5h", 5400)] {
        let (_, spec) = try loadSweep(program + "  trial_timeout: \(text)\n  parameters:\n    x: {value: 1}\n")
        #expect(spec.trialTimeout == seconds, "\(text)")
    }
}
