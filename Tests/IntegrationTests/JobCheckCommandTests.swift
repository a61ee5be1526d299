// JobCheckCommandTests: bad input refused before step 1 by the real binary — `validate` makes every
// check `train` makes (loss for the data, batch split, split size, token ids, memory), both exit 2.
import Coordinator
import Foundation
import Testing

@Suite(.serialized)
struct JobCheckCommandTests {
    /// The host's memory as the tests see it: 24 GiB, whatever the machine has.
    static let memory = ["RINGTRAIN_TEST_MEMORY_AVAILABLE": "24G"]

    static func validate(_ config: String, _ set: [String] = []) throws -> ProcessResult {
        try TinyRun.ringtrain(["validate", config] + set.flatMap { ["--set", $0] }, environment: memory)
    }

    static func train(_ config: String, _ set: [String] = [], runDir: String) throws -> ProcessResult {
        try TinyRun.ringtrain(["train", config, "--run-dir", runDir] + set.flatMap { ["--set", $0] }, environment: memory)
    }

    /// Exit 2 with every fragment in stderr, and no crash.
    static func expectRefused(_ result: ProcessResult, _ fragments: [String], _ label: String) {
        #expect(result.status == 2, "\(label): \(result.output)")
        for fragment in fragments { #expect(result.stderr.contains(fragment), "\(label): missing '\(fragment)' in \(result.stderr)") }
        #expect(!result.output.contains("Fatal error") && !result.output.contains("Stack dump"), "\(label): \(result.output)")
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let label: String
        let set: [String]
        let fragments: [String]
        var testDescription: String { label }
    }

    /// Configs `train` refuses before step 1 and `validate` must too, on the tiny CSV run (all but
    /// the batch split used to pass `validate`; the config parser already refuses that one).
    static let refusals = [
        Refusal(label: "mse on classification data", set: ["job.loss=mse"],
                fragments: ["job.loss: mse", "classification data (3 classes", "valid for this data: cross_entropy"]),
        Refusal(label: "binary_cross_entropy on classification data", set: ["job.loss=binary_cross_entropy"],
                fragments: ["job.loss: binary_cross_entropy", "valid for this data: cross_entropy"]),
        Refusal(label: "batch not divisible by ranks × accumulate (the config parser's check, kept)", set: ["job.accumulate=3"],
                fragments: ["job.batch_size", "not divisible by ranks × accumulate = 1 × 3"]),
        Refusal(label: "training split smaller than one global batch", set: ["job.batch_size=256"],
                fragments: ["160 samples, fewer than one global batch of 256"]),
        Refusal(label: "a hostfile that is not there", set: ["job.ranks=2", "cluster.hostfile=no-such-hostfile"],
                fragments: ["cluster.hostfile", "no-such-hostfile: No such file or directory", "read from the working folder"]),
    ]

    /// The test environment with everything that would let mpirun go further cleared (set
    /// empty), in case the tests run inside an allocation, and HOME without ~/.openmpi settings.
    static func clearedForSlots(home: String) -> [String: String] {
        var cleared = memory
        for key in ProcessInfo.processInfo.environment.keys where key.hasPrefix("OMPI_MCA_") || key.hasPrefix("PRTE_MCA_") { cleared[key] = "" }
        for key in ["SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "PE_HOSTFILE"] { cleared[key] = "" }
        cleared["HOME"] = home
        return cleared
    }

    /// Whether this machine's Open MPI system settings leave the slot check anything to refuse.
    static let slotCheckApplies = LocalSlots.processors.map { processors in
        LocalSlots.problem(ranks: processors + 1, cluster: ClusterSpec(), file: "", environment: clearedForSlots(home: "/nonexistent")) != nil
    } ?? false

    @Test("more ranks than this machine's processors, without oversubscribe: train refuses before making a run folder, validate warns",
          .enabled(if: slotCheckApplies, "this machine's Open MPI settings may give mpirun more slots"))
    func moreRanksThanProcessors() throws {
        let ranks = try #require(LocalSlots.processors) + 1
        let set = ["job.ranks=\(ranks)", "job.batch_size=\(ranks)", "cluster.oversubscribe=false"]
        let tiny = try TinyRun()
        let cleared = Self.clearedForSlots(home: tiny.dir)
        let fragments = ["job.ranks", "\(ranks) ranks on this machine alone need \(ranks) slots", "oversubscribe"]
        let validated = try TinyRun.ringtrain(["validate", tiny.config] + set.flatMap { ["--set", $0] }, environment: cleared)
        #expect(validated.status == 0 && fragments.allSatisfy(validated.stderr.contains) && validated.stderr.contains("warning"),
                "\(validated.output)")
        // Without --run-dir, from the config's folder: the default run folder would be made under runs/.
        let trained = try Background(["train", tiny.config] + set.flatMap { ["--set", $0] }, environment: cleared, directory: tiny.dir)
        #expect(trained.finish(timeout: 120) == 2, "\(trained.stderr)")
        for fragment in fragments { #expect(trained.stderr.contains(fragment), "train: \(trained.stderr)") }
        #expect(!FileManager.default.fileExists(atPath: tiny.dir + "/runs"), "a run folder was made")
    }

    @Test("validate and train both exit 2 with the same message", arguments: refusals)
    func refusedByBoth(_ refusal: Refusal) throws {
        let tiny = try TinyRun()
        Self.expectRefused(try Self.validate(tiny.config, refusal.set), refusal.fragments, "validate")
        let run = "refused-\(Self.refusals.firstIndex { $0.label == refusal.label }!)"
        let trained = try Self.train(tiny.config, refusal.set, runDir: tiny.dir + "/" + run)
        Self.expectRefused(trained, refusal.fragments, "train")
        #expect(!FileManager.default.fileExists(atPath: tiny.dir + "/\(run)/metrics.jsonl"), "train ran: \(trained.output)")
    }

    @Test("regression targets under cross_entropy are refused by validate and train")
    func crossEntropyOnRegression() throws {
        let tiny = try TinyRun()
        let set = ["job.dataset.task=regression", "job.loss=cross_entropy"]
        let fragments = ["job.loss: cross_entropy", "regression data", "valid for this data: mse, binary_cross_entropy"]
        Self.expectRefused(try Self.validate(tiny.config, set), fragments, "validate")
        Self.expectRefused(try Self.train(tiny.config, set, runDir: tiny.dir + "/ce"), fragments, "train")
    }

    @Test("validate refuses token ids at or beyond the embedding's vocabulary, as train does")
    func tokenIDsBeyondVocabulary() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let rows = (0..<64).map { i in (0..<4).map { "\((i + $0) % 6)" }.joined(separator: ",") + ",\(i % 2)" }
        try ("a,b,c,d,label\n" + rows.joined(separator: "\n") + "\n").write(toFile: dir + "/ids.csv", atomically: false, encoding: .utf8)
        func config(vocab: Int) throws -> String {
            let path = dir + "/ids-\(vocab).yaml"
            try """
            job:
              dataset: {train: ids.csv, label: label, normalize: none}
              model:
                layers:
                  - {type: embedding, vocab: \(vocab), dim: 4}
                  - {type: flatten}
                  - {type: dense, units: 2}
              batch_size: 16
              epochs: 1
            """.write(toFile: path, atomically: false, encoding: .utf8)
            return path
        }
        let fragments = ["holds 4.0 at position", "takes whole token ids from 0 to 3"]
        Self.expectRefused(try Self.validate(try config(vocab: 4)), fragments, "validate")
        Self.expectRefused(try Self.train(try config(vocab: 4), runDir: dir + "/run"), fragments, "train")
        let fits = try Self.validate(try config(vocab: 6))
        #expect(fits.status == 0, "\(fits.output)")
    }

    /// A float32 .npy file (format 1.0).
    static func npy(shape: [Int], _ values: [Float]) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        for value in values { bytes += (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } }
        return Data(bytes)
    }

    @Test("classes: 100000 on npy data is refused for memory by validate and train, before allocating")
    func tooManyClasses() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        try Self.npy(shape: [64, 4], (0..<256).map { Float($0 % 9) }).write(to: URL(fileURLWithPath: dir + "/x.npy"))
        try Self.npy(shape: [64], (0..<64).map { Float($0 % 3) }).write(to: URL(fileURLWithPath: dir + "/y.npy"))
        let config = dir + "/classes.yaml"
        try """
        job:
          dataset: {format: npy, train: {features: x.npy, labels: y.npy}, classes: 100000}
          model: {type: mlp, hidden: [16]}
          batch_size: 16
          epochs: 1
        """.write(toFile: config, atomically: false, encoding: .utf8)
        let fragments = ["memory per rank", "24.0 GiB available", "confusion matrices (100000 classes)"]
        Self.expectRefused(try Self.validate(config), fragments, "validate")
        Self.expectRefused(try Self.train(config, runDir: dir + "/run"), fragments, "train")
        // One rank trains in this process whatever hosts are listed, so its memory is judged here too.
        try "node1 slots=2\n".write(toFile: dir + "/hosts", atomically: false, encoding: .utf8)
        Self.expectRefused(try Self.validate(config, ["cluster.hostfile=\(dir)/hosts"]), fragments, "validate, 1 rank, a hostfile")
        Self.expectRefused(try Self.train(config, ["cluster.hostfile=\(dir)/hosts"], runDir: dir + "/run-hosts"), fragments,
                           "train, 1 rank, a hostfile")
        let fits = try Self.validate(config, ["job.dataset.classes=10"])
        #expect(fits.status == 0 && fits.stdout.contains("memory: about"), "\(fits.output)")
    }

    @Test("a text context of 1000000 is refused for memory by validate and train, naming the attention block")
    func hugeContext() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        try Data((0..<1_100_000).map { UInt8(97 + $0 % 26) }).write(to: URL(fileURLWithPath: dir + "/text.txt"))
        let config = dir + "/context.yaml"
        try """
        job:
          dataset: {format: text, path: text.txt, context: 1000000, validation: 0}
          model:
            layers:
              - {type: embedding, name: wte, vocab: 256, dim: 16}
              - {type: position_embedding, name: wpe}
              - {type: transformer_block, name: h0, heads: 2, mlp: 32}
              - {type: dense, name: head, tied_to: wte}
          batch_size: 8
          steps: 1
        """.write(toFile: config, atomically: false, encoding: .utf8)
        let fragments = ["memory per rank", "24.0 GiB available", "layer h0", "TiB"]
        Self.expectRefused(try Self.validate(config), fragments, "validate")
        Self.expectRefused(try Self.train(config, runDir: dir + "/run"), fragments, "train")
    }

    /// The repository's root (configs/ and cluster.yaml).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test("the shipped configs fit a 24 GiB host with 2 ranks", arguments: ["cluster.yaml", "configs/fashion-cnn.yaml",
                                                                           "configs/fashion-resnet.yaml", "configs/shakespeare-gpt.yaml"])
    func shippedConfigsFit(_ name: String) throws {
        if name.hasPrefix("cluster") || name.contains("fashion") {
            guard TrainingFixtures.haveFashion else { return }
        } else {
            guard FileManager.default.fileExists(atPath: Self.root + "/configs/data/shakespeare.txt") else { return }
        }
        let result = try Self.validate(Self.root + "/" + name, ["job.ranks=2"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("memory: about"), "\(result.stdout)")
    }
}
