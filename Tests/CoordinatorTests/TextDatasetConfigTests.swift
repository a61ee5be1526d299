// Config tests for text datasets: `format: text` with path, context, test and validation; every
// mistake (missing, empty or short file, bad context, normalisation, foreign keys) a ConfigError
// naming its key, and seeded hostile values never crash the parser.
import Foundation
import Testing
@testable import Coordinator
import Model

@Suite("Text dataset config")
struct TextDatasetConfigTests {
    /// A folder with a 200-byte corpus, an empty file and a 10-byte file.
    static let folder: String = {
        let dir = try! TestFolder.make()
        FileManager.default.createFile(atPath: dir + "/corpus.txt", contents: Data(repeating: 0x61, count: 200))
        FileManager.default.createFile(atPath: dir + "/empty.txt", contents: Data())
        FileManager.default.createFile(atPath: dir + "/short.txt", contents: Data(repeating: 0x62, count: 10))
        return dir
    }()

    static func job(_ dataset: String, extra: String = "") throws -> RunConfig {
        try RunConfig(file: ConfigFile.parse(text: "job:\n  dataset: \(dataset)\n" + extra, path: folder + "/test.yaml"))
    }

    @Test("format: text: context 128 by default, the last 10% for validation, relative paths from the config")
    func parses() throws {
        let spec = try Self.job("{format: text, path: corpus.txt, context: 8, test: short.txt}").job.dataset
        #expect(spec.source == .text(train: Self.folder + "/corpus.txt", test: Self.folder + "/short.txt", context: 8))
        #expect(spec.validation == .fraction(0.1) && spec.normalization == .none)
        let inferred = try Self.job("{path: corpus.txt, validation: 0}").job.dataset
        #expect(inferred.source == .text(train: Self.folder + "/corpus.txt", test: nil, context: 128))
        #expect(inferred.validation == .count(0))
        #expect(try Self.job("{format: text, path: corpus.txt, validation: 0.25}").job.dataset.validation == .fraction(0.25))
        // Evaluation holds every window's logits: text evaluates 64 windows at a time unless told.
        #expect(try Self.job("{path: corpus.txt, context: 8}").job.evaluationBatch == 64)
        #expect(try Self.job("{path: corpus.txt, context: 8}", extra: "  evaluation_batch: 7\n").job.evaluationBatch == 7)
    }

    @Test("with data files skipped, missing text, CSV and IDX files parse to their paths; required, they are refused")
    func skippedDataFiles() throws {
        func parse(_ dataset: String, _ files: DatasetParser.FileCheck) throws -> DatasetSpec {
            try RunConfig(file: ConfigFile.parse(text: "job:\n  dataset: \(dataset)\n", path: Self.folder + "/test.yaml"),
                          dataFiles: files).job.dataset
        }
        let gone = "{format: text, path: gone.txt, test: empty.txt, context: 32}"
        #expect(try parse(gone, .skipped).source == .text(train: Self.folder + "/gone.txt", test: Self.folder + "/empty.txt", context: 32))
        #expect(throws: ConfigError.self) { try parse(gone, .required) }
        let csv = "{train: gone.csv, label: y}"
        #expect(try parse(csv, .skipped).source == .csv(train: Self.folder + "/gone.csv", test: nil, labelColumns: ["y"], task: .classification))
        #expect(throws: ConfigError.self) { try parse(csv, .required) }
        #expect(throws: Never.self) { try parse("{name: mnist, dir: gone}", .skipped) }
        // Everything else is still checked.
        let error = try #require(throws: ConfigError.self) { try parse("{format: text, path: gone.txt, context: 0}", .skipped) }
        #expect(error.keyPath == "job.dataset.context")
    }

    /// A bad dataset mapping, the key path its error must name and words it must contain.
    struct BadCase: CustomTestStringConvertible, Sendable {
        let yaml: String
        let keyPath: String
        let words: [String]
        var testDescription: String { yaml }
    }

    static let badCases: [BadCase] = [
        BadCase(yaml: "{format: text}", keyPath: "job.dataset", words: ["path"]),
        BadCase(yaml: "{format: text, path: nowhere.txt}", keyPath: "job.dataset.path", words: ["not found", "nowhere.txt"]),
        BadCase(yaml: "{format: text, path: empty.txt}", keyPath: "job.dataset.path", words: ["empty.txt", "empty"]),
        BadCase(yaml: "{format: text, path: short.txt}", keyPath: "job.dataset.path", words: ["short.txt", "10 bytes", "context 128"]),
        BadCase(yaml: "{format: text, path: short.txt, context: 10}", keyPath: "job.dataset.context", words: ["short.txt", "10 bytes"]),
        BadCase(yaml: "{format: text, path: corpus.txt, context: 0}", keyPath: "job.dataset.context", words: ["at least 1"]),
        BadCase(yaml: "{format: text, path: corpus.txt, context: 2.5}", keyPath: "job.dataset.context", words: []),
        BadCase(yaml: "{format: text, path: corpus.txt, normalize: standard}", keyPath: "job.dataset.normalize", words: ["none"]),
        BadCase(yaml: "{format: text, path: corpus.txt, validation: 1.5}", keyPath: "job.dataset.validation", words: ["fraction"]),
        BadCase(yaml: "{format: text, path: corpus.txt, train: corpus.txt}", keyPath: "job.dataset.train", words: ["path"]),
        BadCase(yaml: "{format: text, path: corpus.txt, classes: 10}", keyPath: "job.dataset.classes", words: ["256"]),
        BadCase(yaml: "{format: text, path: corpus.txt, test: empty.txt}", keyPath: "job.dataset.test", words: ["empty"]),
    ]

    @Test("mistakes name the key and the file", arguments: badCases)
    func mistakes(_ bad: BadCase) throws {
        let error = try #require(throws: ConfigError.self) { try Self.job(bad.yaml) }
        #expect(error.keyPath == bad.keyPath, "\(error)")
        for word in bad.words { #expect(error.description.contains(word), "\(error)") }
    }

    @Test("a loss other than cross-entropy and decay: matrices with SGD are refused by key")
    func jobMistakes() throws {
        let loss = try #require(throws: ConfigError.self) { try Self.job("{format: text, path: corpus.txt}", extra: "  loss: mse\n") }
        #expect(loss.keyPath == "job.loss")
        let decay = try #require(throws: ConfigError.self) {
            try Self.job("{format: text, path: corpus.txt}", extra: "  optimizer: {name: sgd, decay: matrices}\n")
        }
        #expect(decay.keyPath == "job.optimizer.decay")
        let parsed = try Self.job("{format: text, path: corpus.txt}", extra: "  optimizer: {name: adamw, weight_decay: 0.1, decay: matrices}\n")
        #expect(parsed.job.optimizer.decay == .matrices)
    }

    @Test("300 seeded hostile values in a text dataset: each a ConfigError or a valid spec")
    func fuzz() throws {
        let keys = ["format", "path", "context", "test", "validation", "normalize", "subset", "train", "classes"]
        let values = ["text", "corpus.txt", "empty.txt", "short.txt", "nowhere.txt", "0", "-1", "1", "16", "199", "200", "1e308", ".nan",
                      "0.5", "0.99", "1", "none", "scale", "[]", "{}", "~", "\"\"", "abc", "9223372036854775807", "[1, [2]]"]
        var rng = CounterRNG(seed: 21, stream: .test)
        var errors = 0, valid = 0
        for _ in 0..<300 {
            var pairs = ["format: text", "path: corpus.txt"]
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let key = keys[Int(rng.next() % UInt64(keys.count))], value = values[Int(rng.next() % UInt64(values.count))]
                pairs.removeAll { $0.hasPrefix(key + ":") }
                pairs.append("\(key): \(value)")
            }
            do {
                _ = try Self.job("{" + pairs.joined(separator: ", ") + "}")
                valid += 1
            } catch let error as ConfigError {
                #expect(error.keyPath.hasPrefix("job.dataset"), "\(pairs): \(error)")
                errors += 1
            }
        }
        #expect(errors > 50 && valid > 10, "\(errors) errors, \(valid) valid")
    }
}
