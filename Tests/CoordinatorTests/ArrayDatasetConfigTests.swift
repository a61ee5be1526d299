// Config tests for NumPy array datasets: npy and npz syntax, format inference, default array
// names, relative paths from the config's folder, mistakes with key paths, and resolved.yaml.
import Foundation
import Testing
@testable import Coordinator
import Model

@Suite("Array dataset config")
struct ArrayDatasetConfigTests {
    /// A folder with empty placeholder files (the parser only checks that files exist).
    static let folder: String = {
        let dir = try! TestFolder.make()
        for name in ["x.npy", "y.npy", "tx.npy", "ty.npy", "d.npz", "t.npz"] {
            FileManager.default.createFile(atPath: dir + "/" + name, contents: Data())
        }
        return dir
    }()

    static func dataset(_ yaml: String) throws -> DatasetSpec {
        let text = "job:\n  dataset:\n" + yaml.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        return try RunConfig(file: ConfigFile.parse(text: text, path: folder + "/test.yaml")).job.dataset
    }

    static func file(_ name: String, _ array: String? = nil) -> DatasetSpec.ArrayFile {
        DatasetSpec.ArrayFile(path: folder + "/" + name, name: array)
    }

    @Test("npy: features and labels files per split; relative paths from the config's folder")
    func npy() throws {
        let spec = try Self.dataset("format: npy\ntrain: {features: x.npy, labels: y.npy}\ntest: {features: tx.npy, labels: ty.npy}")
        #expect(spec.source == .arrays(train: .init(features: Self.file("x.npy"), labels: Self.file("y.npy")),
                                       test: .init(features: Self.file("tx.npy"), labels: Self.file("ty.npy")), task: .classification))
        #expect(spec.normalization == .standard)
        // The format is inferred from a train mapping without `file`.
        #expect(try Self.dataset("train: {features: x.npy, labels: y.npy}\ntask: regression")
            == DatasetSpec(source: .arrays(train: .init(features: Self.file("x.npy"), labels: Self.file("y.npy")), test: nil,
                                           task: .regression)))
    }

    @Test("npz: default names x and y, top-level names, and per-split names")
    func npz() throws {
        let defaults = try Self.dataset("train: d.npz\ntest: t.npz")
        #expect(defaults.source == .arrays(train: .init(features: Self.file("d.npz", "x"), labels: Self.file("d.npz", "y")),
                                           test: .init(features: Self.file("t.npz", "x"), labels: Self.file("t.npz", "y")),
                                           task: .classification))
        let named = try Self.dataset("format: npz\ntrain: d.npz\nfeatures: images\nlabels: classes\nvalidation: 0.1\nnormalize: scale")
        #expect(named.source == .arrays(train: .init(features: Self.file("d.npz", "images"), labels: Self.file("d.npz", "classes")),
                                        test: nil, task: .classification))
        #expect(named.validation == .fraction(0.1) && named.normalization == .scale)
        let keras = try Self.dataset("train: {file: d.npz, features: x_train, labels: y_train}\ntest: {file: d.npz, features: x_test, labels: y_test}")
        #expect(keras.source == .arrays(train: .init(features: Self.file("d.npz", "x_train"), labels: Self.file("d.npz", "y_train")),
                                        test: .init(features: Self.file("d.npz", "x_test"), labels: Self.file("d.npz", "y_test")),
                                        task: .classification))
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var label: String
        var yaml: String
        var keyPath: String
        var fragment: String
        var testDescription: String { label }
    }

    static let bad: [Bad] = [
        Bad(label: "missing labels file", yaml: "train: {features: x.npy}", keyPath: "job.dataset.train", fragment: "labels"),
        Bad(label: "file not found", yaml: "train: {features: x.npy, labels: nope.npy}", keyPath: "job.dataset.train.labels",
            fragment: "file not found"),
        Bad(label: "unknown split key", yaml: "train: {features: x.npy, labels: y.npy, label: z}", keyPath: "job.dataset.train.label",
            fragment: "unknown key"),
        Bad(label: "CSV label key", yaml: "format: npy\ntrain: {features: x.npy, labels: y.npy}\nlabel: y", keyPath: "job.dataset.label",
            fragment: "not for npy data"),
        Bad(label: "top-level names for npy", yaml: "train: {features: x.npy, labels: y.npy}\nfeatures: x", keyPath: "job.dataset.features",
            fragment: "inside .npz archives"),
        Bad(label: "npz without file", yaml: "format: npz\ntrain: {features: a, labels: b}", keyPath: "job.dataset.train",
            fragment: "file"),
        Bad(label: "archive under format npy", yaml: "format: npy\ntrain: d.npz", keyPath: "job.dataset.train", fragment: "format: npz"),
        Bad(label: "npz names on CSV", yaml: "train: x.csv\nlabel: y\nlabels: z", keyPath: "job.dataset.labels", fragment: "for npz data"),
    ]

    @Test("mistakes name the key path", arguments: bad)
    func mistakes(_ example: Bad) {
        do {
            _ = try Self.dataset(example.yaml)
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.keyPath == example.keyPath, "\(error)")
            #expect(error.description.contains(example.fragment), "\(error)")
        } catch {
            Issue.record("not a ConfigError: \(error)")
        }
    }

    @Test("resolved.yaml reads back to the same dataset", arguments: [
        "train: {features: x.npy, labels: y.npy}\ntest: {features: tx.npy, labels: ty.npy}\ntask: regression",
        "train: {file: d.npz, features: a, labels: b}\ntest: t.npz\nsubset: 100\nclasses: 4",
    ])
    func roundTrip(yaml: String) throws {
        let text = "job:\n  dataset:\n" + yaml.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        let original = try RunConfig(file: ConfigFile.parse(text: text, path: Self.folder + "/test.yaml"))
        let resolved = ResolvedConfig.yaml(job: original.job, cluster: original.cluster)
        let again = try RunConfig(file: ConfigFile.parse(text: resolved, path: "resolved.yaml"))
        #expect(again.job.dataset == original.job.dataset, "\(resolved)")
    }
}
