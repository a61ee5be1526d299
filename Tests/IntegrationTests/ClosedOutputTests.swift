// ClosedOutputTests: `train` on one rank and a sweep's coordinator whose standard output is a
// pipe the reader closed (`| head -1`) go on to the end instead of dying of SIGPIPE.
import Foundation
import Testing

@Suite struct ClosedOutputTests {
    /// Runs `ringtrain ARGS | head -1` in bash; the exit status of ringtrain.
    private func throughHead(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stderr: String) {
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        let quoted = ([binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let result = try ProcessRunner.run("/bin/bash", ["-c", quoted + " | head -1 >/dev/null; exit ${PIPESTATUS[0]}"],
                                           environment: TrainingFixtures.environment.merging(environment) { $1 }, timeout: 180)
        return (result.status, result.stderr)
    }

    @Test("a 1-rank run whose output is gone trains to its end")
    func oneRankTrain() throws {
        let tiny = try TinyRun(epochs: 12)
        // 10 ms a step: the reader is gone long before the run's later lines.
        let (status, stderr) = try throughHead(["train", tiny.config, "--run-dir", tiny.dir + "/run"],
                                               environment: ["RINGTRAIN_TEST_STEP_DELAY": "0.01"])
        #expect(status == 0, "\(stderr)")
        let metrics = try String(contentsOfFile: tiny.dir + "/run/metrics.jsonl", encoding: .utf8)
        #expect(metrics.contains("\"final\":true") || metrics.contains("\"final\" : true"), "the run wrote its end: \(metrics.suffix(300))")
    }

    @Test("a sweep whose output is gone runs every trial")
    func sweepCoordinator() throws {
        let tiny = try TinyRun(epochs: 2)
        try tiny.appendLearningRateGrid("0.01, 0.02, 0.03, 0.04")
        let (status, stderr) = try throughHead(["sweep", tiny.config, "--run-dir", tiny.dir + "/sweep"])
        #expect(status == 0, "\(stderr)")
        let report = try TinyRun.ringtrain(["report", tiny.dir + "/sweep", "--format", "json", "--no-save"])
        let json = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
        let counts = json?["counts"] as? [String: Any]
        #expect(report.status == 0 && counts?["finished"] as? Int == 4, "\(counts ?? [:]) \(report.stderr)")
    }
}
