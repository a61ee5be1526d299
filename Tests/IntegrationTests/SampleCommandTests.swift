// SampleCommandTests: `ringtrain sample` on a tiny byte-level transformer saved through the
// library — the same seed prints the same text, a tiny temperature the greedy text, and every
// mistake (empty prompt, bad option, a model that is not a byte-level LM) exits 2 with a message.
import Foundation
import Testing
import Coordinator
import Model
import Worker

@Suite(.serialized)
struct SampleCommandTests {
    /// A run folder holding a byte-level model (context 8: embedding, positions, one causal
    /// transformer block, per-position logits over 256 bytes) and its checkpoint at step 0.
    static func languageModelRun(head: String = "{type: dense, units: 256, init: xavier}") throws -> String {
        let dir = try TrainingFixtures.temporaryDirectory()
        var csv = (0..<8).map { "t\($0)" }.joined(separator: ",") + ",label\n"
        for row in 0..<20 { csv += (0..<8).map { String((row * 7 + $0 * 13) % 256) }.joined(separator: ",") + ",\(row % 2)\n" }
        try csv.write(toFile: dir + "/bytes.csv", atomically: false, encoding: .utf8)
        let config = """
            job:
              name: bytes
              seed: 3
              dataset: {train: bytes.csv, label: label, normalize: none}
              model:
                layers:
                  - {type: embedding, vocab: 256, dim: 16}
                  - {type: position_embedding}
                  - {type: transformer_block, heads: 2, mlp: 32}
                  - {type: layer_norm}
                  - \(head)
              steps: 10

            """
        try config.write(toFile: dir + "/config.yaml", atomically: false, encoding: .utf8)
        let job = try RunConfig.load(path: dir + "/config.yaml").job
        let run = dir + "/run"
        try FileManager.default.createDirectory(atPath: run + "/checkpoints", withIntermediateDirectories: true)
        try ResolvedConfig.yaml(job: job, cluster: nil).write(toFile: run + "/resolved.yaml", atomically: false, encoding: .utf8)
        if let network = (try? TextSampler.network(for: job, source: "config.yaml"))?.network {
            let state = CheckpointState(position: TrainingPosition(), learningRate: 0, seed: job.seed, worldSize: 1, configHash: "")
            _ = try CheckpointStore(directory: run + "/checkpoints").save(
                parameters: network.store, optimizer: makeOptimizer(job.optimizer, parameterCount: network.store.count), state: state)
        }
        return run
    }

    static func sample(_ run: String, _ options: [String]) throws -> ProcessResult {
        try TinyRun.ringtrain(["sample", run] + options)
    }

    @Test("the same seed prints the same text; another seed other text; a tiny temperature the greedy text")
    func deterministicPerSeed() throws {
        let run = try Self.languageModelRun()
        let first = try Self.sample(run, ["--prompt", "Hello", "--tokens", "40", "--seed", "1"])
        #expect(first.status == 0, "\(first.output)")
        #expect(first.stdout.hasPrefix("Hello"), "\(first.stdout)")
        #expect(first.stdout.utf8.count > 6)
        let again = try Self.sample(run, ["--prompt", "Hello", "--tokens", "40", "--seed", "1"])
        #expect(again.stdout == first.stdout)
        let other = try Self.sample(run, ["--prompt", "Hello", "--tokens", "40", "--seed", "2"])
        #expect(other.status == 0 && other.stdout != first.stdout)

        let greedy = try Self.sample(run, ["--prompt", "Hello", "--tokens", "40", "--temperature", "0"])
        let cold = try Self.sample(run, ["--prompt", "Hello", "--tokens", "40", "--temperature", "0.000001", "--seed", "9"])
        #expect(greedy.status == 0 && cold.status == 0, "\(greedy.output)\(cold.output)")
        #expect(cold.stdout == greedy.stdout)
        // A prompt longer than the window keeps only its last 8 bytes: the same continuation.
        let window = try Self.sample(run, ["--prompt", "abcdefgh", "--tokens", "30", "--temperature", "0"])
        let long = try Self.sample(run, ["--prompt", "zzzzabcdefgh", "--tokens", "30", "--temperature", "0"])
        #expect(window.status == 0 && long.status == 0)
        #expect(Array(long.stdout.utf8.dropFirst(4)) == Array(window.stdout.utf8), "\(long.stdout)")
        let step = try Self.sample(run + "/checkpoints/step-00000000", ["--prompt", "Hello", "--tokens", "40", "--seed", "1"])
        #expect(step.stdout == first.stdout, "a step folder samples the same checkpoint")
    }

    @Test("mistakes exit 2 with a message", arguments: [
        (["--prompt", ""], "--prompt is empty"),
        (["--prompt", "a", "--top-k", "300"], "--top-k 300"),
        (["--prompt", "a", "--temperature=-1"], "--temperature"),
        (["--prompt", "a", "--tokens=-3"], "--tokens"),
    ])
    func badOptions(options: [String], message: String) throws {
        let run = try Self.languageModelRun()
        let result = try Self.sample(run, options)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains(message), "\(result.output)")
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test("a model that is not a byte-level language model exits 2 naming why")
    func notALanguageModel() throws {
        let classifier = try Self.languageModelRun(head: "{type: flatten}\n      - {type: dense, units: 2}")
        let result = try Self.sample(classifier, ["--prompt", "a"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("per-position logits"), "\(result.output)")

        let tiny = try TinyRun(epochs: 1)
        #expect(try tiny.train("mlp").status == 0)
        let mlp = try Self.sample(tiny.dir + "/mlp", ["--prompt", "a"])
        #expect(mlp.status == 2 && mlp.stderr.contains("not a byte-level language model"), "\(mlp.output)")
        let nothing = try Self.sample(tiny.dir + "/absent", ["--prompt", "a"])
        #expect(nothing.status == 2 && nothing.stderr.contains("resolved.yaml"), "\(nothing.output)")
    }
}
