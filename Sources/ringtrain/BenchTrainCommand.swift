// BenchTrainCommand: `ringtrain bench train` — training samples/s for the MLP or CNN on
// Fashion-MNIST beside the sgemm-bound limit measured in the same run.
import ArgumentParser
import Coordinator
import Foundation
import Model
import Worker

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training throughput against this machine's sgemm limit at the same shapes.")

    @Option(help: "Model: mlp (784-512-256-10) or cnn (conv16-conv32-fc128).")
    var model: String = "mlp"

    @Option(help: "Samples per rank per step.")
    var batch: Int = 128

    @Option(help: "Training steps per timed repetition (default 200 for mlp, 20 for cnn).")
    var steps: Int?

    @Option(help: "Timed repetitions; medians are reported.")
    var repeats: Int = 5

    @Option(help: "Folder with the Fashion-MNIST IDX files.")
    var data: String = "/usr/share/datasets/fashion-mnist"

    @Flag(help: "One JSON object per row.")
    var json = false

    func run() throws {
        try exitOnUserError {
            guard let kind = ModelSpec.Kind(rawValue: model), kind != .logistic else {
                throw ConfigError(file: "--model", keyPath: "", message: "'\(model)' is not a benchmark model", hint: "use mlp or cnn")
            }
            let spec = ModelSpec(kind: kind)
            let job = TrainBenchmark.job(model: spec, batchPerRank: batch, ranks: 1, dataDirectory: data)
            let splits = try DatasetLoader.load(job.dataset, seed: job.seed)
            let trainer = try Trainer(job: job, data: splits, group: SingleProcessGroup())
            let (samples, limit, gflops) = try TrainBenchmark.measure(
                trainer: trainer, steps: steps ?? (kind == .mlp ? 200 : 20), repeats: repeats)
            let result = TrainBenchmarkResult(
                model: spec.summary(inputs: splits.train.featureCount, outputs: trainer.network.outputWidth),
                ranks: 1, batch: batch, samplesPerSecond: samples, limitSamplesPerSecond: limit,
                sgemmGflops: gflops, flopsPerSample: trainer.network.trainingFlopsPerSample)
            if json {
                print(jsonLine(result.json))
            } else {
                var table = TextTable(headers: ["model", "ranks", "batch", "samples/s", "sgemm limit", "of limit",
                                                "sgemm GFLOP/s", "MFLOP/sample"])
                table.add([result.model, "1", "\(batch)", String(format: "%.0f", samples), String(format: "%.0f", limit),
                           String(format: "%.1f%%", 100 * samples / limit), String(format: "%.1f", gflops),
                           String(format: "%.2f", result.flopsPerSample / 1e6)])
                print(table.rendered)
                print("(medians of \(repeats) repetitions; the limit times the step's sgemm calls alone at the same shapes)")
            }
        }
    }
}
