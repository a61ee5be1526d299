// CheckpointEvaluation: the metrics of a saved model — find the checkpoint (a run folder's
// newest valid one, or a given step folder), verify and load it, evaluate it on a data split.
import Foundation
import Model
import Worker

/// Which samples to evaluate on.
public enum EvaluationData: Sendable, Equatable {
    /// A split of the run's own dataset: `test`, `validation` or `train`.
    case split(String)
    /// Another file in the run's format: a CSV with the same columns, or IDX images + labels.
    case file(path: String, labels: String?)
}

/// A checkpoint evaluated on some data.
public struct CheckpointEvaluation {
    public var checkpoint: String
    public var step: Int
    public var dataName: String
    public var result: EvaluationResult
    public var classNames: [String]?
    /// Newer checkpoints passed over because they did not verify (empty when the newest did).
    public var skipped: [SkippedCheckpoint] = []
    /// How many of the checkpoint's weights are NaN or infinite (0 for a healthy model).
    public var nonFiniteWeights = 0
    /// How many weights the model has.
    public var weightCount = 0

    /// Evaluates the checkpoint at `path` (a run folder or a `checkpoints/step-N` folder).
    public static func run(path: String, data: EvaluationData) throws -> CheckpointEvaluation {
        let saved = try SavedModel(path: path)
        let resolved = saved.resolvedConfig
        var job = try saved.job()
        job.dataset = try dataset(job.dataset, data)
        let splits = try DatasetLoader.load(job.dataset, seed: job.seed)
        let chosen: Dataset?
        switch data {
        case .split("train"): chosen = splits.train
        case .split("validation"): chosen = splits.validation
        default: chosen = splits.test
        }
        guard let samples = chosen else {
            let present = [("train", splits.train as Dataset?), ("validation", splits.validation), ("test", splits.test)]
                .filter { $0.1 != nil }.map(\.0)
            throw ConfigError(file: resolved, keyPath: "job.dataset", message: "the run's dataset has no \(name(of: data)) split",
                              hint: "it has \(present.joined(separator: " and ")): choose --data \(present.joined(separator: " or ")), or give a data file")
        }
        // The checks training made, on the data evaluated (which may be a new file).
        try JobDataCheck.checkLoss(job.lossKind(for: samples.task), on: samples)
        let network = try job.model.build(sampleShape: splits.train.sampleShape, task: splits.train.task, seed: job.seed)
        try JobDataCheck.checkTokenIDs(network.layers, in: [(name(of: data), samples)])
        let loaded = try saved.load(into: network)
        let result = try Evaluator().evaluate(network, on: samples, loss: job.lossKind(for: samples.task),
                                              batchSize: job.evaluationBatch, collectives: .singleRank())
        var evaluation = CheckpointEvaluation(checkpoint: saved.folder(of: loaded), step: loaded.state.globalStep,
                                              dataName: name(of: data), result: result, classNames: samples.classNames)
        evaluation.skipped = loaded.skipped
        evaluation.weightCount = network.store.count
        evaluation.nonFiniteWeights = network.store.parameters.buffer.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        return evaluation
    }

    /// Refuses a `--data` file whose extension shows another format than the run's training data
    /// (a CSV for a run on .npy arrays, say), naming both.
    static func checkFormat(of path: String, against source: DatasetSpec.Source) throws {
        let lower = path.lowercased()
        let given = lower.hasSuffix(".npy") || lower.hasSuffix(".npz") ? "NumPy arrays (.npy/.npz)"
            : lower.hasSuffix(".csv") ? "CSV" : nil
        let (trained, accepted): (String, String) = switch source {
        case .csv: ("CSV", "a CSV file with the training file's columns")
        case .idx: ("IDX", "IDX images, with --labels LABELS-FILE")
        case .arrays: ("NumPy arrays (.npy/.npz)", "an .npz with the training arrays' names, or a .npy file with --labels LABELS.npy")
        case .text: ("text", "a text file")
        }
        guard let given, given != trained, !(trained == "text" && given == "CSV") else { return }
        throw ConfigError(file: path, keyPath: "--data", message: "the file looks like \(given), but the run trained on \(trained) data",
                          hint: "give \(accepted)")
    }

    static func name(of data: EvaluationData) -> String {
        switch data {
        case .split(let s): return s
        case .file(let path, _): return path
        }
    }

    /// The run's dataset with its test split replaced by `data` when that is a file.
    static func dataset(_ spec: DatasetSpec, _ data: EvaluationData) throws -> DatasetSpec {
        guard case .file(let path, let labels) = data else { return spec }
        for (file, option) in [(path, "--data"), (labels, "--labels")] {
            guard let file, !FileManager.default.fileExists(atPath: file) else { continue }
            throw ConfigError(file: file, keyPath: option, message: "not found",
                              hint: option == "--data" ? "give test, validation, train, or an existing data file" : "give the IDX labels file")
        }
        var spec = spec
        try checkFormat(of: path, against: spec.source)
        switch spec.source {
        case .csv(let train, _, let columns, let task):
            spec.source = .csv(train: train, test: path, labelColumns: columns, task: task)
        case .idx(let images, let trainLabels, _, _):
            guard let labels else {
                throw ConfigError(file: path, keyPath: "--labels", message: "IDX images need their labels file",
                                  hint: "add --labels LABELS-FILE")
            }
            spec.source = .idx(trainImages: images, trainLabels: trainLabels, testImages: path, testLabels: labels)
        case .arrays(let train, _, let task):
            // An .npz holds both arrays under the training names; a .npy file needs its labels file.
            let npz = { (file: String) in file.lowercased().hasSuffix(".npz") }
            guard npz(path) || labels != nil else {
                throw ConfigError(file: path, keyPath: "--labels", message: ".npy features need their labels file",
                                  hint: "add --labels LABELS.npy")
            }
            let test = DatasetSpec.ArrayPair(features: .init(path: path, name: npz(path) ? train.features.name ?? "x" : nil),
                                             labels: .init(path: labels ?? path, name: npz(labels ?? path) ? train.labels.name ?? "y" : nil))
            spec.source = .arrays(train: train, test: test, task: task)
        case .text(let train, _, let context):
            spec.source = .text(train: train, test: path, context: context)
        }
        return spec
    }

    /// One JSON object with the metrics.
    public var json: [String: Any] {
        var o: [String: Any] = ["checkpoint": checkpoint, "step": step, "data": dataName, "count": result.count,
                                "loss": result.loss]
        if let c = result.classification {
            o["accuracy"] = c.accuracy
        }
        if let c = result.classification, result.bitsPerByte == nil {   // per-class figures: classifiers only
            o["macro_precision"] = c.macroPrecision
            o["macro_recall"] = c.macroRecall
            o["macro_f1"] = c.macroF1
            o["per_class"] = (0..<c.classes).map { k in
                ["class": classNames?[k] ?? String(k), "precision": c.precision(k), "recall": c.recall(k), "f1": c.f1(k)] as [String: Any]
            }
            o["confusion"] = c.confusion
        }
        if let bpb = result.bitsPerByte { o["bpb"] = bpb }
        if let r = result.regression {
            o["mse"] = r.mse
            o["mae"] = r.mae
        }
        return o
    }
}
