// TrainingCLITests: the real `ringtrain train` binary on real Fashion-MNIST — JSON output and the
// run folder, and a config mistake that ends with exit code 2, its line and a hint.
import Foundation
import Testing

/// Helpers shared by the training integration tests.
enum TrainingFixtures {
    static let fashion = "/usr/share/datasets/fashion-mnist"
    static var haveFashion: Bool { FileManager.default.fileExists(atPath: fashion + "/train-labels-idx1-ubyte.gz") }

    /// A fresh temporary folder, inside one folder per test process that is removed when the
    /// process exits (so test runs do not pile up folders in /tmp).
    static func temporaryDirectory() throws -> String {
        let dir = processFolder + "/" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// This test process's folder of temporary folders; the first use arranges its removal.
    private static let processFolder: String = {
        atexit { try? FileManager.default.removeItem(atPath: TrainingFixtures.processFolderPath) }
        return processFolderPath
    }()
    private static var processFolderPath: String { NSTemporaryDirectory() + "ringtrain-it-\(getpid())" }

    /// Writes a small Fashion-MNIST MLP config and returns its path.
    static func smallConfig(in dir: String, extra: String = "", batch: Int = 60, subset: Int = 3000,
                            model: String = "{type: mlp, hidden: [32]}") throws -> String {
        let path = dir + "/small.yaml"
        try """
        cluster:
          oversubscribe: true
          failure_timeout: 20
        job:
          name: small
          seed: 3
          dataset: {name: fashion-mnist, subset: \(subset), validation: 500}
          model: \(model)
          optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
          batch_size: \(batch)
          epochs: 2
        \(extra)
        """.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    static let environment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                              "OPENBLAS_NUM_THREADS": "1"]

    /// JSON objects of the lines of `text` that parse as objects.
    static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }
}

@Suite(.serialized, .enabled(if: TrainingFixtures.haveFashion, "Fashion-MNIST not installed (scripts/setup installs it)"))
struct TrainingCLITests {
    @Test func trainPrintsJSONAndFillsTheRunFolder() throws {
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir)
        let result = try ProcessRunner.run(binary, ["train", config, "--json", "--run-dir", dir + "/run"],
                                           environment: TrainingFixtures.environment, timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        let lines = TrainingFixtures.jsonLines(result.stdout)
        #expect(lines.count == 3, "\(result.stdout)")
        #expect(lines.first?["epoch"] as? Int == 1)
        let final = try #require(lines.last)
        #expect(final["final"] as? Bool == true)
        let accuracy = try #require(final["test_acc"] as? Double)
        #expect(accuracy > 0.6 && accuracy <= 1)
        let metrics = try String(contentsOfFile: dir + "/run/metrics.jsonl", encoding: .utf8)
        #expect(TrainingFixtures.jsonLines(metrics).count == 3)
        #expect(FileManager.default.fileExists(atPath: dir + "/run/resolved.yaml"))
        #expect(FileManager.default.fileExists(atPath: dir + "/run/cluster.yaml"))
    }

    @Test func configMistakeExitsWithCode2AndLocation() throws {
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, extra: "  epocs: 3")
        let result = try ProcessRunner.run(binary, ["train", config, "--run-dir", dir + "/run"],
                                           environment: TrainingFixtures.environment, timeout: 60)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("small.yaml:12:3: job.epocs: unknown key 'epocs'"), "\(result.stderr)")
        #expect(result.stderr.contains("did you mean 'epochs'"))
        #expect(!result.stderr.contains("Fatal error"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/run"), "a bad config must not create a run folder")
    }

    @Test func badOverrideExitsWithCode2() throws {
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir)
        let result = try ProcessRunner.run(binary, ["train", config, "--set", "job.optimizer.lr=-1"],
                                           environment: TrainingFixtures.environment, timeout: 60)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("--set job.optimizer.lr=-1"), "\(result.stderr)")
    }
}
