// BenchTrainCommand: `ringtrain bench train` — training samples/s for the MLP or CNN on
// Fashion-MNIST beside the sgemm-bound limit measured in the same run.
import ArgumentParser
import Coordinator
import Collective
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

    @Option(help: "Ranks: 1 measures one process; N > 1 measures 1 rank, then N ranks under mpirun.")
    var ranks: Int = 1

    @Flag(help: "Send gradients as fp16 in the all-reduce (N-rank row).")
    var fp16 = false

    @Flag(help: .hidden) var worker = false
    @Option(help: .hidden) var baseline: Double?

    func run() throws {
        try exitOnUserError {
            guard let kind = ModelSpec.Kind(rawValue: model), kind != .logistic else {
                throw ConfigError(file: "--model", keyPath: "", message: "'\(model)' is not a benchmark model", hint: "use mlp or cnn")
            }
            guard ranks >= 1 else { throw ConfigError(file: "--ranks", keyPath: "", message: "must be at least 1") }
            if worker {
                try runRank(kind)
                return
            }
            let single = try measure(kind, group: SingleProcessGroup())[0]
            var rows = [single]
            if ranks > 1 {
                // The N-rank rows (without and with overlap) are measured under mpirun; rank 0
                // prints them as JSON lines, read back here.
                var args = ["bench", "train", "--worker", "--model", model, "--batch", "\(batch)", "--repeats", "\(repeats)",
                            "--data", data, "--baseline", "\(single.samplesPerSecond)", "--ranks", "\(ranks)"]
                if let steps { args += ["--steps", "\(steps)"] }
                if fp16 { args.append("--fp16") }
                let output = try captureSelf(ranks: ranks, arguments: args)
                let lines = output.split(separator: "\n").filter { $0.hasPrefix("{") }
                let measured = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                for object in measured {
                    guard let samples = object["samples_per_s"] as? Double, let limit = object["limit_samples_per_s"] as? Double,
                          let gflops = object["sgemm_gflops"] as? Double,
                          let compute = object["compute_ms"] as? Double, let communicate = object["communicate_ms"] as? Double,
                          let update = object["update_ms"] as? Double, let overlap = object["overlap"] as? Bool else { continue }
                    var row = single
                    row.ranks = ranks
                    (row.samplesPerSecond, row.limitSamplesPerSecond, row.sgemmGflops) = (samples, limit, gflops)
                    (row.computeMilliseconds, row.communicateMilliseconds, row.updateMilliseconds) = (compute, communicate, update)
                    row.overlap = overlap
                    row.efficiency = samples / (Double(ranks) * single.samplesPerSecond)
                    rows.append(row)
                }
                guard rows.count == 3 else { throw LaunchError("the \(ranks)-rank benchmark printed no result:\n\(output)") }
            }
            show(rows)
        }
    }

    /// One rank of the N-rank measurement (under mpirun); rank 0 prints the JSON row.
    private func runRank(_ kind: ModelSpec.Kind) throws {
        try MPIEnvironment.initialize()
        let group = CollectiveProcessGroup(Collectives(try MPICommunicator.world(),
                                                       options: CollectiveOptions(halfPrecisionWire: fp16)), timeout: 120)
        for var row in try measure(kind, group: group) {
            if let baseline { row.efficiency = row.samplesPerSecond / (Double(group.size) * baseline) }
            if group.rank == 0 { print(jsonLine(row.json)) }
        }
        try MPIEnvironment.finalize()
    }

    /// One row per mode: one rank measures the plain path; N ranks measure without and with
    /// overlap, side by side.
    private func measure(_ kind: ModelSpec.Kind, group: ProcessGroup) throws -> [TrainBenchmarkResult] {
        let spec = ModelSpec(kind: kind)
        let job = TrainBenchmark.job(model: spec, batchPerRank: batch, ranks: group.size, dataDirectory: data)
        let splits = try DatasetLoader.load(job.dataset, seed: job.seed)
        let trainer = try Trainer(job: job, data: splits, group: group)
        let modes = group.size > 1 ? [false, true] : [false]
        let measured = try TrainBenchmark.measure(
            trainer: trainer, steps: steps ?? (kind == .mlp ? 200 : 20), repeats: repeats, overlapModes: modes)
        return zip(modes, measured).map { mode, m in
            var result = TrainBenchmarkResult(
                model: spec.summary(inputs: splits.train.featureCount, outputs: trainer.network.outputWidth),
                ranks: group.size, batch: batch, samplesPerSecond: m.samplesPerSecond,
                limitSamplesPerSecond: m.limitSamplesPerSecond, sgemmGflops: m.sgemmGflops,
                flopsPerSample: trainer.network.trainingFlopsPerSample)
            (result.computeMilliseconds, result.communicateMilliseconds, result.updateMilliseconds) =
                (m.computeMilliseconds, m.communicateMilliseconds, m.updateMilliseconds)
            result.overlap = group.size > 1 ? mode : nil
            return result
        }
    }

    private func show(_ rows: [TrainBenchmarkResult]) {
        if json {
            for row in rows { Swift.print(jsonLine(row.json)) }
            return
        }
        var table = TextTable(headers: ["model", "ranks", "overlap", "batch/rank", "samples/s", "sgemm limit", "of limit",
                                        "efficiency", "sgemm GFLOP/s", "MFLOP/sample", "compute ms", "comm ms", "update ms"])
        for r in rows {
            table.add([r.model, "\(r.ranks)", r.overlap.map { $0 ? "yes" : "no" } ?? "-", "\(r.batch)", String(format: "%.0f", r.samplesPerSecond),
                       String(format: "%.0f", r.limitSamplesPerSecond * Double(r.ranks)),
                       String(format: "%.1f%%", 100 * r.samplesPerSecond / (r.limitSamplesPerSecond * Double(r.ranks))),
                       r.efficiency.map { String(format: "%.3f", $0) } ?? "-",
                       String(format: "%.1f", r.sgemmGflops), String(format: "%.2f", r.flopsPerSample / 1e6),
                       String(format: "%.3f", r.computeMilliseconds), String(format: "%.3f", r.communicateMilliseconds),
                       String(format: "%.3f", r.updateMilliseconds)])
        }
        Swift.print(table.rendered)
        Swift.print("(medians of \(repeats) repetitions; the limit times each rank's sgemm calls alone at the same shapes, "
                    + "times the ranks; efficiency = samples/s ÷ (ranks × the 1-rank samples/s); "
                    + "overlap = the gradient average runs bucket by bucket during backward (job.overlap); "
                    + "compute/comm/update ms = rank 0's mean time per step in forward+backward, waiting for the gradient average, and the update)")
    }
}
