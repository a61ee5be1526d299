// TextTrainingTests: a tiny byte-level GPT on a generated text file through the real binary —
// `ringtrain train` on 1 rank (val_loss, val_bpb, PyTorch names), 2 ranks under mpirun matching
// 1 rank, and numpy's forward pass from the saved tensors matching the Swift logits.
@testable import Coordinator
import Foundation
import Model
import Testing

@Suite(.serialized)
struct TextTrainingTests {
    /// Writes 5,000 bytes of seeded sentences to `corpus.txt` and 800 to `test.txt`, and a
    /// config for a GPT of context 16, width 16, one block of 2 heads, output tied to wte.
    static func tinyGPT(optimizer: String = "{name: adamw, lr: 0.01, weight_decay: 0.1, decay: matrices}") throws -> (dir: String, config: String) {
        let dir = try TrainingFixtures.temporaryDirectory()
        var state: UInt64 = 77
        let words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "sea", "king", "of", "thee"]
        func text(bytes: Int) -> String {
            var out = ""
            while out.utf8.count < bytes {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                out += words[Int(state >> 33) % words.count] + ((state >> 20) % 7 == 0 ? ".\n" : " ")
            }
            return String(decoding: Array(out.utf8.prefix(bytes)), as: UTF8.self)
        }
        try text(bytes: 5000).write(toFile: dir + "/corpus.txt", atomically: false, encoding: .utf8)
        try text(bytes: 800).write(toFile: dir + "/test.txt", atomically: false, encoding: .utf8)
        let config = dir + "/gpt.yaml"
        try """
            cluster: {oversubscribe: true, failure_timeout: 30}
            job:
              name: tinygpt
              seed: 2
              dataset: {format: text, path: corpus.txt, test: test.txt, context: 16, subset: 384}
              model:
                layers:
                  - {type: embedding, name: wte, vocab: 256, dim: 16}
                  - {type: position_embedding, name: wpe}
                  - {type: transformer_block, name: blocks.0, heads: 2, mlp: 32}
                  - {type: layer_norm, name: lnf}
                  - {type: dense, name: lm_head, tied_to: wte}
              optimizer: \(optimizer)
              batch_size: 16
              epochs: 2
              evaluation_batch: 64
            """.write(toFile: config, atomically: false, encoding: .utf8)
        return (dir, config)
    }

    /// `ringtrain sample` continues a prompt from a model trained through the command; a model
    /// with batch norm samples too, with its running statistics loaded from the checkpoint.
    @Test(arguments: [false, true])
    func trainedModelSamples(batchNorm: Bool) throws {
        let (dir, config) = try Self.tinyGPT()
        if batchNorm {
            let text = try String(contentsOfFile: config, encoding: .utf8)
            try text.replacingOccurrences(of: "      - {type: layer_norm, name: lnf}",
                                          with: "      - {type: batch_norm, name: bn}\n      - {type: layer_norm, name: lnf}")
                .write(toFile: config, atomically: false, encoding: .utf8)
        }
        let trained = try TinyRun.ringtrain(["train", config, "--set", "job.epochs=1", "--run-dir", dir + "/run"], timeout: 300)
        #expect(trained.status == 0, "\(trained.output)")
        let sampled = try TinyRun.ringtrain(["sample", dir + "/run", "--prompt", "the cat", "--tokens", "24", "--seed", "5"])
        #expect(sampled.status == 0, "\(sampled.output)")
        #expect(sampled.stdout.hasPrefix("the cat") && sampled.stdout.utf8.count > "the cat".utf8.count + 10, "\(sampled.output)")
        guard batchNorm else { return }
        // The sampler runs with the checkpoint's running statistics, read here straight from its
        // file, not with a fresh layer's; and they matter: with a fresh layer's the text changes.
        let sampler = try TextSampler(path: dir + "/run")
        let saved = try SafetensorsReader(path: sampler.checkpoint + "/model.safetensors").readAllTensors().floats
        let fresh = try TextSampler.network(for: RunConfig.load(path: dir + "/run/resolved.yaml").job, source: "test").network
        let options = SamplingOptions(tokens: 24, seed: 5)
        let withSaved = try sampler.generate(prompt: Array("the cat".utf8), options: options)
        var checked = 0
        for (buffer, initial) in zip(sampler.network.buffers, fresh.buffers) {
            guard case .float(let values) = buffer.storage, case .float(let initialValues) = initial.storage else { continue }
            #expect(Array(values) == saved[buffer.name], "\(buffer.name) is the checkpoint's")
            #expect(Array(values) != Array(initialValues), "\(buffer.name) moved from its initial values in training")
            _ = values.update(fromContentsOf: initialValues)
            checked += 1
        }
        #expect(checked == 2, "bn.running_mean and bn.running_var")
        let withFresh = try sampler.generate(prompt: Array("the cat".utf8), options: options)
        #expect(withSaved != withFresh, "the running statistics change what is sampled")
    }

    /// A run folder whose corpus has moved still samples (the model needs only its context), the
    /// same text as before; `evaluate`, which reads the data, exits 2 naming the file and the key.
    @Test func samplesWithoutItsCorpusAndEvaluateNamesTheMissingFile() throws {
        let (dir, config) = try Self.tinyGPT()
        let trained = try TinyRun.ringtrain(["train", config, "--set", "job.epochs=1", "--run-dir", dir + "/run"], timeout: 300)
        #expect(trained.status == 0, "\(trained.output)")
        let arguments = ["sample", dir + "/run", "--prompt", "the cat", "--tokens", "24", "--seed", "5"]
        let before = try TinyRun.ringtrain(arguments)
        #expect(before.status == 0, "\(before.output)")
        try FileManager.default.createDirectory(atPath: dir + "/moved", withIntermediateDirectories: true)
        for file in ["corpus.txt", "test.txt"] { try FileManager.default.moveItem(atPath: dir + "/" + file, toPath: dir + "/moved/" + file) }

        let after = try TinyRun.ringtrain(arguments)
        #expect(after.status == 0, "\(after.output)")
        #expect(after.stdout.hasPrefix("the cat") && after.stdout == before.stdout, "\(after.output)")

        let evaluated = try TinyRun.ringtrain(["evaluate", dir + "/run"])
        #expect(evaluated.status == 2, "\(evaluated.output)")
        for part in ["resolved.yaml", "job.dataset.path", dir + "/corpus.txt", "put the file back"] {
            #expect(evaluated.stderr.contains(part), "missing \(part): \(evaluated.stderr)")
        }
        #expect(!evaluated.output.contains("Fatal error") && !evaluated.output.contains("Stack"), "\(evaluated.output)")
    }

    @Test("ringtrain train: val_loss and val_bpb per epoch, test_bpb at the end, PyTorch tensor names")
    func trainsThroughTheCommand() throws {
        let (dir, config) = try Self.tinyGPT()
        let result = try TinyRun.ringtrain(["train", config, "--json", "--run-dir", dir + "/run"], timeout: 300)
        #expect(result.status == 0, "\(result.output)")
        let lines = TrainingFixtures.jsonLines(result.stdout)
        #expect(lines.count == 3, "\(result.stdout)")
        for line in lines {
            let loss = try #require(line["val_loss"] as? Double), bpb = try #require(line["val_bpb"] as? Double)
            #expect(line["val_acc"] is Double && line["train_acc"] is Double, "token accuracy: \(line)")
            #expect(abs(bpb - loss / log(2)) < 1e-9)
        }
        // Uniform guessing over 256 bytes is ln 256 ≈ 5.55 nats; the sentences are far more predictable.
        let last = try #require(lines.last)
        #expect(try #require(last["val_loss"] as? Double) < 4)
        let testLoss = try #require(last["test_loss"] as? Double), testBPB = try #require(last["test_bpb"] as? Double)
        #expect(abs(testBPB - testLoss / log(2)) < 1e-9)
        let metrics = try String(contentsOfFile: dir + "/run/metrics.jsonl", encoding: .utf8)
        #expect(TrainingFixtures.jsonLines(metrics).allSatisfy { $0["val_bpb"] != nil })

        let latest = try String(contentsOfFile: dir + "/run/checkpoints/latest", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let reader = try SafetensorsReader(path: "\(dir)/run/checkpoints/\(latest)/model.safetensors")
        var shapes: [String: [Int]] = [:]
        for entry in reader.entries { shapes[entry.name] = entry.shape }
        #expect(shapes == ["wte.weight": [256, 16], "wpe.weight": [16, 16],
                           "blocks.0.ln1.weight": [16], "blocks.0.ln1.bias": [16],
                           "blocks.0.qkv.weight": [48, 16], "blocks.0.qkv.bias": [48],
                           "blocks.0.proj.weight": [16, 16], "blocks.0.proj.bias": [16],
                           "blocks.0.ln2.weight": [16], "blocks.0.ln2.bias": [16],
                           "blocks.0.fc.weight": [32, 16], "blocks.0.fc.bias": [32],
                           "blocks.0.out.weight": [16, 32], "blocks.0.out.bias": [16],
                           "lnf.weight": [16], "lnf.bias": [16]])
    }

    /// The GPT under a steps budget on 2 ranks: rank 1 SIGKILLed after step 25, the run resumed
    /// from its step-20 checkpoint, ends byte-identical to a run never interrupted.
    @Test func killedTwoRankStepsRunResumesExactly() throws {
        let (dir, config) = try Self.tinyGPT()
        let budget = ["--set", "job.epochs=null", "--set", "job.steps=40", "--set", "job.eval_every=10",
                      "--set", "job.checkpoint.every_steps=10", "--set", "job.ranks=2"]
        let straight = try TinyRun.ringtrain(["train", config, "--run-dir", dir + "/straight"] + budget, timeout: 300)
        #expect(straight.status == 0, "\(straight.output)")
        let killed = try DataParallelTests.mpirun(2, ["worker", config, "--run-dir", dir + "/killed", "--fail-rank", "1",
                                                      "--fail-step", "25", "--fail-mode", "kill"] + budget)
        #expect(killed.status != 0, "\(killed.output)")
        #expect(try String(contentsOfFile: dir + "/killed/checkpoints/latest", encoding: .utf8).contains("step-00000020"))
        let resumed = try TinyRun.ringtrain(["resume", dir + "/killed"], timeout: 300)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.stdout.contains("resumed from"), "\(resumed.output)")
        let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/straight/checkpoints/step-00000040/model.safetensors"))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir + "/killed/checkpoints/step-00000040/model.safetensors"))
        #expect(a == b)
    }

    @Test("a text run stopped by a signal resumes to the same model as an uninterrupted one")
    func resumesExactly() throws {
        let (dir, config) = try Self.tinyGPT()
        let straight = try TinyRun.ringtrain(["train", config, "--run-dir", dir + "/straight"], timeout: 300)
        #expect(straight.status == 0, "\(straight.output)")
        let stopped = try TinyRun.ringtrain(["worker", config, "--run-dir", dir + "/stopped", "--fail-rank", "0", "--fail-step", "30",
                                             "--fail-mode", "signal"], timeout: 300)
        #expect(stopped.status == 3, "\(stopped.output)")
        let resumed = try TinyRun.ringtrain(["train", config, "--run-dir", dir + "/stopped", "--resume"], timeout: 300)
        #expect(resumed.status == 0, "\(resumed.output)")
        let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/straight/checkpoints/step-00000048/model.safetensors"))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir + "/stopped/checkpoints/step-00000048/model.safetensors"))
        #expect(a == b)
    }

    /// SGD, as in the other transformer comparison: Adam turns float rounding in near-zero
    /// gradients into whole steps, beyond a 1e-5 comparison. With "overlap" the embedding's bucket
    /// must wait for the first layer although the tied output wrote into it first.
    @Test("2 ranks under mpirun follow the 1-rank trajectory", arguments: ["sharded", "plain", "overlap"])
    func twoRanksMatchOne(mode: String) throws {
        let (dir, config) = try Self.tinyGPT(optimizer: "{name: sgd, lr: 0.1, momentum: 0.9}")
        let options = switch mode {
        case "plain": ["--set", "job.sharded_update=false"]
        case "overlap": ["--set", "job.overlap=true", "--set", "job.bucket_kb=1"]
        default: [String]()
        }
        try DataParallelTests.compareWithOneProcess(ranks: 2, options: options, config: config, dir: dir)
    }

    @Test("numpy's forward pass from model.safetensors alone matches the Swift logits",
          .enabled(if: runPythonNumpy(), "python3 cannot import numpy"))
    func numpyForwardMatches() throws {
        let (dir, config) = try Self.tinyGPT()
        let result = try TinyRun.ringtrain(["train", config, "--run-dir", dir + "/run"], timeout: 300)
        #expect(result.status == 0, "\(result.output)")
        let latest = try String(contentsOfFile: dir + "/run/checkpoints/latest", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let model = "\(dir)/run/checkpoints/\(latest)/model.safetensors"

        // The same network in this process, with the saved tensors, on three test windows.
        let job = try RunConfig.load(path: config).job
        let splits = try DatasetLoader.load(job.dataset, seed: job.seed)
        let network = try job.model.build(sampleShape: splits.train.sampleShape, task: splits.train.task, seed: 99)
        let tensors = try SafetensorsReader(path: model).readAll()
        for entry in network.store.entries {
            let values = try #require(tensors[entry.name], "\(entry.name) missing from the checkpoint")
            let view = network.store.view(entry)
            for i in 0..<entry.count { view.value[i] = values[i] }
        }
        let test = try #require(splits.test)
        let batch = 3
        var ids = [Float](repeating: 0, count: batch * 16), targets = ids
        ids.withUnsafeMutableBufferPointer { x in
            targets.withUnsafeMutableBufferPointer { y in test.gather([0, 5, 11][...], features: x.baseAddress!, targets: y.baseAddress!) }
        }
        let logits = ids.withUnsafeBufferPointer { x in
            let out = network.forward(x.baseAddress!, batch: batch, context: ForwardContext())
            return Array(UnsafeBufferPointer(start: out, count: batch * 16 * 256))
        }
        try ids.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: dir + "/ids.f32")) }
        try logits.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: dir + "/logits.f32")) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures/gpt_forward.py"
        let python = try ProcessRunner.run("/usr/bin/env", ["python3", script, model, dir + "/ids.f32", dir + "/logits.f32", "\(batch)", "2"],
                                           environment: [:], timeout: 60)
        #expect(python.status == 0, "\(python.output)")
        #expect(python.stdout.contains("max_abs_difference"), "\(python.output)")
        print("numpy forward check: \(python.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
}

/// Whether python3 with numpy is available.
func runPythonNumpy() -> Bool {
    (try? ProcessRunner.run("/usr/bin/env", ["python3", "-c", "import numpy"], environment: [:], timeout: 30))?.status == 0
}
