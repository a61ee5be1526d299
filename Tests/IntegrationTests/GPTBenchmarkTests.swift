// GPTBenchmarkTests: `bench train --model gpt` runs a config's byte-level GPT end to end under
// real mpirun and prints tokens/s beside samples/s (tiny runs: these check the command, never speed).
import Foundation
import Testing

@Suite(.serialized)
struct GPTBenchmarkTests {
    /// The 1-rank row and the 2-rank rows of a tiny GPT, each with tokens/s = samples/s × context;
    /// without its corpus the bench trains on synthetic bytes and says so.
    @Test(arguments: [false, true])
    func gptRowsCarryTokensPerSecond(corpusMissing: Bool) throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let (dir, config) = try TextTrainingTests.tinyGPT()
        if corpusMissing { try FileManager.default.removeItem(atPath: dir + "/corpus.txt") }
        let result = try ProcessRunner.run(binary, ["bench", "train", "--model", "gpt", "--config", config, "--ranks", "2",
                                                    "--batch", "4", "--steps", "2", "--repeats", "1", "--json"],
                                           environment: TrainingFixtures.environment, timeout: 300)
        #expect(result.status == 0, "\(result.output)")
        let rows = TrainingFixtures.jsonLines(result.stdout)
        try #require(rows.count == 5, "\(result.output)")
        #expect(rows.map { $0["ranks"] as? Int } == [1, 2, 2, 2, 2])
        for row in rows {
            #expect(row["tokens_per_sample"] as? Int == 16, "\(row)")
            let samples = try #require(row["samples_per_s"] as? Double), tokens = try #require(row["tokens_per_s"] as? Double)
            #expect(samples > 0 && abs(tokens - 16 * samples) <= 1e-9 * tokens, "\(row)")
            let limit = try #require(row["limit_tokens_per_s"] as? Double)
            #expect(limit > 0 && limit.isFinite, "\(row)")
            #expect((row["flops_per_sample"] as? Double ?? 0) > 0, "\(row)")
            #expect(row["data"] as? String == (corpusMissing ? "synthetic bytes (corpus missing)" : nil), "\(row)")
        }
        for row in rows[1...] { #expect((row["efficiency"] as? Double ?? 0) > 0, "\(row)") }
    }

    /// `--memory` under real mpirun at 3 ranks: with the whole state every rank keeps AdamW's two
    /// moments for every parameter; sharded, the ranks' shares add up to one rank's whole state
    /// and none keeps more than its third (plus one element per moment). Peaks are only read, never compared.
    @Test func memoryRowsShowTheStateShrinkingWithTheRanks() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let (_, config) = try TextTrainingTests.tinyGPT()
        let result = try ProcessRunner.run(binary, ["bench", "train", "--memory", "--model", "gpt", "--config", config, "--ranks", "3",
                                                    "--batch", "3", "--steps", "1", "--json"],
                                           environment: TrainingFixtures.environment, timeout: 300)
        #expect(result.status == 0, "\(result.output)")
        let rows = TrainingFixtures.jsonLines(result.stdout)
        try #require(rows.count == 6, "\(result.output)")
        let whole = rows.filter { $0["sharded_state"] as? Bool == false }, sharded = rows.filter { $0["sharded_state"] as? Bool == true }
        #expect(whole.compactMap { $0["rank"] as? Int } == [0, 1, 2] && sharded.compactMap { $0["rank"] as? Int } == [0, 1, 2])
        let wholeBytes = whole.compactMap { $0["optimizer_state_bytes"] as? Int }, shardBytes = sharded.compactMap { $0["optimizer_state_bytes"] as? Int }
        try #require(wholeBytes.count == 3 && shardBytes.count == 3)
        #expect(Set(wholeBytes).count == 1 && wholeBytes[0] > 0 && wholeBytes[0] % 8 == 0, "\(wholeBytes)")
        #expect(shardBytes.reduce(0, +) == wholeBytes[0], "\(shardBytes) against \(wholeBytes[0])")
        #expect(shardBytes.allSatisfy { $0 <= wholeBytes[0] / 3 + 8 }, "\(shardBytes)")
        for row in rows {
            #expect((row["peak_rss_bytes"] as? Int ?? 0) > 0 && (row["estimate_bytes"] as? Int ?? 0) > 0, "\(row)")
            #expect(row["machine"] != nil, "\(row)")
        }
        #expect((sharded[0]["estimate_bytes"] as? Int ?? 0) < (whole[0]["estimate_bytes"] as? Int ?? 0))
    }

    /// The table names the data when it is synthetic and has a tokens/s column.
    @Test func gptTableShowsTokensPerSecond() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let (dir, config) = try TextTrainingTests.tinyGPT()
        try FileManager.default.removeItem(atPath: dir + "/corpus.txt")
        let result = try ProcessRunner.run(binary, ["bench", "train", "--model", "gpt", "--config", config,
                                                    "--batch", "4", "--steps", "2", "--repeats", "1"],
                                           environment: TrainingFixtures.environment, timeout: 300)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.hasPrefix("machine: "), "\(result.stdout)")
        #expect(result.stdout.contains("data: synthetic bytes (corpus missing)"), "\(result.stdout)")
        #expect(result.stdout.contains("tokens/s"), "\(result.stdout)")
    }

    /// Mistakes end with exit code 2 and a message naming what is wrong, without a trap.
    @Test(arguments: [(["--model", "logistic"], "use mlp, cnn, gpt or resnet, or --config FILE"),
                      (["--model", "cnn", "--config", "configs/fashion-resnet.yaml"], "--model cnn is built in and takes no config"),
                      (["--model", "gpt", "--config", "/nonexistent/gpt.yaml"], "file not found"),
                      (["--model", "gpt", "--steps", "0"], "--steps")])
    func badOptionsExitTwo(arguments: [String], message: String) throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let result = try ProcessRunner.run(binary, ["bench", "train"] + arguments, environment: TrainingFixtures.environment, timeout: 60)
        #expect(result.status == 2 && result.stderr.contains(message), "\(result.output)")
        #expect(!result.stderr.contains("Fatal error"))
    }
}
