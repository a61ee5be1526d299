// DatasetParser: reads `job.dataset` — a named dataset (fashion-mnist, mnist), IDX, CSV, NumPy
// (.npy, .npz) or text files — checking that the files exist, relative paths taken from the config's folder.
import Foundation
import Model

/// Parses `job.dataset` mappings.
public enum DatasetParser {
    static let keys = ["name", "format", "dir", "train_images", "train_labels", "test_images", "test_labels",
                       "train", "test", "label", "task", "validation", "subset", "normalize", "classes",
                       "features", "labels", "path", "context"]

    /// Whether parsing checks that the dataset's files are there (and a text corpus is long enough).
    public enum FileCheck: Sendable {
        /// Every named file must exist: for everything that reads the data (the default).
        case required
        /// Paths are taken as written and not looked at: only for callers that never read the data
        /// (`sample` needs the model and the text context, so a run folder works without its corpus).
        case skipped
    }

    /// Builds a dataset spec. Relative paths are resolved against `baseDirectory`; `files` says
    /// whether the files must exist (default `.required`).
    public static func parse(_ value: ConfigValue, baseDirectory: String = "", files: FileCheck = .required) throws -> DatasetSpec {
        let t = try value.table(allowed: keys)
        let name = try t["name"]?.choice(["fashion-mnist", "mnist"])
        var format = try t["format"]?.choice(["idx", "csv", "npy", "npz", "text"])
        if format == nil {
            if name != nil || t["train_images"] != nil { format = "idx" }
            else if let train = t["train"] { format = inferredFormat(train) }
            else if t["dir"] != nil { format = "idx" }
            else if t["path"] != nil { format = "text" }
        }
        guard let format else {
            throw value.error("cannot tell which data to load",
                              hint: "give name: fashion-mnist, format: idx with dir or train_images/train_labels, train: FILE.csv with label: COLUMN, " +
                                "train: {features: x.npy, labels: y.npy}, train: FILE.npz, or format: text with path: FILE")
        }

        func path(_ v: ConfigValue, mustExist: Bool = true) throws -> String {
            var p = try v.string()
            if !p.hasPrefix("/") && !baseDirectory.isEmpty { p = baseDirectory + "/" + p }
            if mustExist && files == .required && !FileManager.default.fileExists(atPath: p) {
                throw v.error("file not found: \(p)", hint: name != nil ? "install it with: apt-get install dataset-fashion-mnist" : nil)
            }
            return p
        }

        var spec: DatasetSpec
        if format == "idx" {
            for key in ["train", "test", "label", "task", "features", "labels"] where t.contains(key) {
                throw t.entries.first { $0.key == key }!.value.error("'\(key)' is for CSV data; IDX data takes dir or train_images/train_labels/test_images/test_labels")
            }
            if t["train_images"] != nil || t["train_labels"] != nil {
                let trainImages = try path(t.required("train_images")), trainLabels = try path(t.required("train_labels"))
                let testImages = try t["test_images"].map { try path($0) }
                let testLabels = try t["test_labels"].map { try path($0) }
                if (testImages == nil) != (testLabels == nil) {
                    throw value.error("test_images and test_labels go together", hint: "give both or neither")
                }
                spec = DatasetSpec(source: .idx(trainImages: trainImages, trainLabels: trainLabels,
                                                testImages: testImages, testLabels: testLabels))
            } else {
                let dirValue = t["dir"]
                let dir = try dirValue.map { try path($0) } ?? "/usr/share/datasets/\(name ?? "fashion-mnist")"
                spec = DatasetSpec.fashionMNIST(directory: dir)
                spec.classes = nil
                if files == .required, case .idx(let a, let b, let c, let d) = spec.source {
                    for file in [a, b, c!, d!] where !FileManager.default.fileExists(atPath: file) {
                        throw (dirValue ?? t["name"] ?? value).error("file not found: \(file)",
                            hint: "install Fashion-MNIST with: apt-get install dataset-fashion-mnist, or set dir: to a folder holding the four IDX files")
                    }
                }
            }
            if name != nil { spec.classes = 10 }
        } else if format == "text" {
            spec = try text(t, checkSize: files == .required, path: { try path($0) })
        } else if format == "npy" || format == "npz" {
            spec = try arrays(t, npz: format == "npz", path: { try path($0) })
        } else {
            for key in ["dir", "train_images", "train_labels", "test_images", "test_labels", "name", "features", "labels"]
            where t.contains(key) {
                let owner = key == "features" || key == "labels" ? "npz" : "IDX"
                throw t.entries.first { $0.key == key }!.value.error("'\(key)' is for \(owner) data; CSV data takes train, test, label and task")
            }
            let train = try path(t.required("train", hint: "the training CSV file"))
            let test = try t["test"].map { try path($0) }
            let labelValue = try t.required("label", hint: "the name of the label column")
            let labels: [String]
            if case .sequence = labelValue.node { labels = try labelValue.list().map { try $0.string() } } else { labels = [try labelValue.string()] }
            let task = try t["task"]?.choice(["classification", "regression"]) ?? "classification"
            if task == "classification" && labels.count != 1 {
                throw labelValue.error("classification takes exactly one label column", hint: "use task: regression for several targets")
            }
            spec = DatasetSpec(source: .csv(train: train, test: test, labelColumns: labels,
                                            task: DatasetSpec.TaskKind(rawValue: task)!))
        }

        if let v = t["validation"], case .text = spec.source {
            let f = try v.double(in: 0...0.99, hint: "the fraction of the file held out at its end, such as 0.1, or 0 for none")
            spec.validation = f == 0 ? .count(0) : .fraction(f)
        } else if let v = t["validation"] {
            if v.node.int != nil {
                spec.validation = .count(try v.int(in: 0...Int.max))
            } else {
                let f = try v.double(in: 0...0.99, hint: "a sample count such as 5000 or a fraction such as 0.1")
                spec.validation = .fraction(f)
            }
        }
        if let v = t["subset"] { spec.subset = try v.int(in: 1...Int.max, hint: "the number of training samples to keep") }
        if case .count(let held) = spec.validation, let subset = spec.subset, held >= subset, let at = t["subset"] ?? t["validation"] {
            // Caught here, before any rank or trial starts, rather than when the data loads.
            throw at.error("validation \(held) leaves no training samples out of subset \(subset)",
                           hint: "the validation count must be below the subset (e.g. validation: \(max(0, subset / 10))), or give a fraction such as 0.1")
        }
        if let v = t["normalize"] {
            spec.normalization = DatasetSpec.Normalization(rawValue: try v.choice(["none", "scale", "standard"]))!
            if case .text = spec.source, spec.normalization != .none {
                throw v.error("text features are byte token ids and cannot be normalised", hint: "use normalize: none (the default for text) or leave it out")
            }
        }
        if let v = t["classes"] {
            if case .text = spec.source { throw v.error("text data always has 256 token ids (one per byte value)", hint: "remove classes") }
            spec.classes = try v.int(in: 2...100_000)
        }
        return spec
    }

    /// Byte-level text: `path` (the corpus, read as bytes), `context` (bytes per sample, default
    /// 128) and an optional `test` file; validation defaults to the last 10% of the file. With
    /// `checkSize`, each file must hold at least one sample (context + 1 bytes).
    static func text(_ t: ConfigTable, checkSize: Bool, path: (ConfigValue) throws -> String) throws -> DatasetSpec {
        for key in ["dir", "train_images", "train_labels", "test_images", "test_labels", "name", "train", "label", "task",
                    "features", "labels"] where t.contains(key) {
            throw t.entries.first { $0.key == key }!.value.error("'\(key)' is not for text data; it takes path, context, test, validation, subset and normalize",
                                                               hint: key == "train" ? "give the corpus as path: FILE" : nil)
        }
        let contextValue = t["context"]
        let context = try contextValue?.int(in: 1...1_048_576, hint: "bytes per sample, at least 1, e.g. context: 128") ?? 128
        func checked(_ v: ConfigValue, role: String) throws -> String {
            let file = try path(v)
            guard checkSize else { return file }
            let size = ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.intValue ?? 0
            if size == 0 { throw v.error("the \(role) text file \(file) is empty", hint: "give a file of text; scripts/setup fetches the Shakespeare corpus") }
            if size < context + 1 {
                throw (contextValue ?? v).error("the \(role) text file \(file) has \(size) bytes, fewer than context \(context) + 1",
                                                hint: size > 1 ? "a sample needs context + 1 bytes; use a context of at most \(size - 1), or a longer file"
                                                              : "a sample needs context + 1 bytes, at least 2; give a longer file")
            }
            return file
        }
        let train = try checked(t.required("path", hint: "the text file, e.g. path: data/shakespeare.txt"), role: "training")
        let test = try t["test"].map { try checked($0, role: "test") }
        return DatasetSpec(source: .text(train: train, test: test, context: context), validation: .fraction(0.1))
    }

    /// The format a `train:` entry implies: a mapping with `file` or a path ending in `.npz` is
    /// npz, any other mapping npy (`{features, labels}`), anything else csv.
    static func inferredFormat(_ train: ConfigValue) -> String {
        if case .mapping = train.node {
            return (try? train.table(allowed: nil))?.contains("file") == true ? "npz" : "npy"
        }
        return (try? train.string())?.lowercased().hasSuffix(".npz") == true ? "npz" : "csv"
    }

    /// NumPy arrays. npy: `train: {features: x.npy, labels: y.npy}`. npz: `train: data.npz` with
    /// the arrays named by the top-level `features` and `labels` (default `x` and `y`, as
    /// `numpy.savez(path, x=..., y=...)` names them), or `train: {file: data.npz, features: NAME,
    /// labels: NAME}`. `test` takes the same forms; `task` is classification (default) or regression.
    static func arrays(_ t: ConfigTable, npz: Bool, path: (ConfigValue) throws -> String) throws -> DatasetSpec {
        let format = npz ? "npz" : "npy"
        for key in ["dir", "train_images", "train_labels", "test_images", "test_labels", "name", "label"] where t.contains(key) {
            throw t.entries.first { $0.key == key }!.value.error("'\(key)' is not for \(format) data; it takes train, test, task\(npz ? ", features and labels" : "")",
                                                               hint: key == "label" ? "array labels are given as labels: (a file for npy, an array name for npz)" : nil)
        }
        if !npz, let key = ["features", "labels"].first(where: t.contains) {
            throw t.entries.first { $0.key == key }!.value.error("a top-level '\(key)' names an array inside .npz archives",
                                                               hint: "for npy give train: {features: x.npy, labels: y.npy}")
        }
        let featuresName = try t["features"]?.string() ?? "x", labelsName = try t["labels"]?.string() ?? "y"
        func pair(_ v: ConfigValue) throws -> DatasetSpec.ArrayPair {
            if !npz {
                guard case .mapping = v.node else {
                    throw v.error("npy data takes a mapping of two .npy files here",
                                  hint: "e.g. {features: x.npy, labels: y.npy}; an .npz archive takes format: npz")
                }
                let s = try v.table(allowed: ["features", "labels"])
                return DatasetSpec.ArrayPair(features: .init(path: try path(s.required("features", hint: "the .npy file of the samples"))),
                                             labels: .init(path: try path(s.required("labels", hint: "the .npy file of the labels"))))
            }
            guard case .mapping = v.node else {
                let file = try path(v)
                return DatasetSpec.ArrayPair(features: .init(path: file, name: featuresName), labels: .init(path: file, name: labelsName))
            }
            let s = try v.table(allowed: ["file", "features", "labels"])
            let file = try path(s.required("file", hint: "the .npz archive"))
            return DatasetSpec.ArrayPair(features: .init(path: file, name: try s["features"]?.string() ?? featuresName),
                                         labels: .init(path: file, name: try s["labels"]?.string() ?? labelsName))
        }
        let hint = npz ? "e.g. train: data.npz, or train: {file: data.npz, features: x_train, labels: y_train}"
            : "e.g. train: {features: x.npy, labels: y.npy}"
        let train = try pair(t.required("train", hint: hint))
        let test = try t["test"].map(pair)
        let task = try t["task"]?.choice(["classification", "regression"]) ?? "classification"
        return DatasetSpec(source: .arrays(train: train, test: test, task: DatasetSpec.TaskKind(rawValue: task)!))
    }
}
