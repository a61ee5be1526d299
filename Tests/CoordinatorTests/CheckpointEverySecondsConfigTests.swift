// CheckpointEverySecondsConfigTests: `job.checkpoint.every_seconds` — a duration (seconds or a
// number with a unit, 1 s to 30 days, 0 off), written back to resolved.yaml and in the canonical
// JSON the other ranks decode, and left out of that JSON (and so the config hash) when off.
import Foundation
import Testing
@testable import Coordinator
import Worker

@Suite("checkpoint.every_seconds in the config")
struct CheckpointEverySecondsConfigTests {
    static let job = """
    job:
      dataset:
        train: train.csv
        label: label

    """

    /// The job with `checkpoint: {every_seconds: <text>}` (line 5 of the file).
    static func config(_ text: String) throws -> RunConfig { try load(job + "  checkpoint: {every_seconds: \(text)}\n") }

    @Test("every_seconds takes seconds or a number with a unit; 0 and absent are off", arguments: [
        ("30", 30.0), ("\"2m\"", 120), ("90s", 90), ("1h", 3600), ("1.5", 1.5), ("1", 1), ("2592000", 2_592_000),
        ("0", 0), ("0s", 0), ("0m", 0),
    ])
    func parses(text: String, seconds: Double) throws {
        #expect(try Self.config(text).job.checkpoint.everySeconds == seconds)
    }

    @Test("every_seconds is off by default, beside every_steps")
    func offByDefault() throws {
        let policy = try load(Self.job + "  checkpoint: {every_steps: 5}\n").job.checkpoint
        #expect(policy.everySeconds == 0 && policy.everySteps == 5)
    }

    @Test("bad every_seconds values name the key and the valid range", arguments: [
        BadConfig(label: "below a second", yaml: job + "  checkpoint: {every_seconds: 0.5}\n", line: 5,
                  keyPath: "job.checkpoint.every_seconds", fragments: ["out of range", "from 1 s to 30 days"]),
        BadConfig(label: "negative", yaml: job + "  checkpoint: {every_seconds: -1}\n", line: 5,
                  keyPath: "job.checkpoint.every_seconds", fragments: ["out of range", "from 1 s to 30 days"]),
        BadConfig(label: "beyond 30 days", yaml: job + "  checkpoint: {every_seconds: 31d}\n", line: 5,
                  keyPath: "job.checkpoint.every_seconds", fragments: ["'31d' is not a duration", "from 1 s to 30 days"]),
        BadConfig(label: "beyond 30 days in hours", yaml: job + "  checkpoint: {every_seconds: 721h}\n", line: 5,
                  keyPath: "job.checkpoint.every_seconds", fragments: ["out of range", "30m", "from 1 s to 30 days"]),
        BadConfig(label: "not a duration", yaml: job + "  checkpoint: {every_seconds: often}\n", line: 5,
                  keyPath: "job.checkpoint.every_seconds", fragments: ["'often' is not a duration", "from 1 s to 30 days"]),
        BadConfig(label: "a list", yaml: job + "  checkpoint: {every_seconds: [30]}\n", line: 5,
                  keyPath: "job.checkpoint.every_seconds", fragments: []),
    ])
    func badValueIsReported(_ bad: BadConfig) {
        bad.expectReported(in: "test.yaml") { _ = try load($0) }
    }

    @Test("resolved.yaml writes every_seconds and reads back to the same job", arguments: ["0", "45", "2m", "1.5"])
    func resolvedRoundTrip(text: String) throws {
        let original = try Self.config(text)
        let yaml = ResolvedConfig.yaml(job: original.job)
        let seconds = original.job.checkpoint.everySeconds
        let written = seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
        #expect(yaml.contains("every_seconds: \(written)\n"), "\(yaml)")
        let again = try RunConfig(file: ConfigFile.parse(text: yaml, path: "resolved.yaml"))
        #expect(again.job == original.job, "\(yaml)")
    }

    @Test("the canonical JSON carries every_seconds to the other ranks, and leaves it out when off")
    func canonicalJSON() throws {
        let off = try load(Self.job)
        let zero = try Self.config("0")
        let on = try Self.config("\"2m\"")
        #expect(!ResolvedConfig.canonicalJSON(job: off.job).contains("every_seconds"))
        #expect(ResolvedConfig.hash(job: zero.job) == ResolvedConfig.hash(job: off.job), "0 hashes as a job without the key")
        #expect(ResolvedConfig.canonicalJSON(job: on.job).contains("\"every_seconds\":120"))
        #expect(ResolvedConfig.hash(job: on.job) != ResolvedConfig.hash(job: off.job))
        for config in [off, on, try Self.config("1.5")] {
            let agreed = try RunConfigSetup(config: config).load()
            let decoded = try RunConfigSetup(configPath: csvDirectory + "/test.yaml", overrides: []).decodeJob(agreed.encodedJob)
            #expect(decoded.checkpoint.everySeconds == config.job.checkpoint.everySeconds)
            #expect(decoded == config.job)
        }
    }
}
