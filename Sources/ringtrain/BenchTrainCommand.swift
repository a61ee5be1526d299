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
            guard ranks > 1 else {
                show(try measure(kind, group: .singleRank(), alone: nil))
                return
            }
            // Every row is measured in one mpirun job, side by side (see runRank); rank 0 prints
            // them as JSON lines, read back here.
            var args = ["bench", "train", "--worker", "--model", model, "--batch", "\(batch)", "--repeats", "\(repeats)",
                        "--data", data, "--ranks", "\(ranks)"]
            if let steps { args += ["--steps", "\(steps)"] }
            if fp16 { args.append("--fp16") }
            let output = try captureSelf(ranks: ranks, arguments: args)
            let rows = output.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]).flatMap(TrainBenchmarkResult.init(json:))
            }
            guard rows.count == Self.rankModes.count else { throw LaunchError("the \(ranks)-rank benchmark printed no result:\n\(output)") }
            show(rows)
        }
    }

    /// What each repetition of the N-rank measurement times, in order: rank 0 alone, then every
    /// way of averaging gradients, then the sharded update without reclaiming cache lines.
    static let rankModes: [TrainBenchmark.Mode] =
        [.alone] + GradientAveraging.allCases.map { .together($0) } + [.shardedWithoutReclaim]

    /// One rank of the N-rank measurement (under mpirun). Each repetition times rank 0 alone
    /// (the others asleep in a quiet barrier), then all ranks with each way of averaging
    /// gradients; rank 0 prints the rows as JSON.
    private func runRank(_ kind: ModelSpec.Kind) throws {
        try MPIEnvironment.initialize()
        let group = Collectives(try MPICommunicator.world())
        try group.installWatchdog(Watchdog(timeout: 300, rank: group.rank))
        let rows = try measure(kind, group: group, alone: group.rank == 0 ? .singleRank() : nil) {
            try group.quietBarrier()
        }
        if group.rank == 0 { for row in rows { print(jsonLine(row.json)) } }
        try MPIEnvironment.finalize()
    }

    /// One row per mode: with `alone`, rank 0's single-process row first, then the N-rank rows
    /// for each way of averaging gradients; otherwise the group's own row.
    private func measure(_ kind: ModelSpec.Kind, group: Collectives, alone: Collectives?,
                         quietBarrier: () throws -> Void = {}) throws -> [TrainBenchmarkResult] {
        let spec = ModelSpec(kind: kind)
        var job = TrainBenchmark.job(model: spec, batchPerRank: batch, ranks: group.size, dataDirectory: data)
        job.fp16Gradients = fp16
        let splits = try DatasetLoader.load(job.dataset, seed: job.seed)
        let trainer = try Trainer(job: job, data: splits, collectives: group)
        let single = try alone.map {
            try Trainer(job: TrainBenchmark.job(model: spec, batchPerRank: batch, ranks: 1, dataDirectory: data), data: splits, collectives: $0)
        }
        let modes = group.size > 1 ? Self.rankModes : [.together(.oneCall)]
        let measured = try TrainBenchmark.measure(trainer: trainer, alone: single, quietBarrier: quietBarrier,
                                                  steps: steps ?? (kind == .mlp ? 200 : 20), repeats: repeats, modes: modes)
        return measured.map { m in
            var result = TrainBenchmarkResult(
                model: spec.summary(inputs: splits.train.featureCount, outputs: trainer.network.outputWidth),
                ranks: m.mode == .alone ? 1 : group.size, batch: batch, samplesPerSecond: m.samplesPerSecond,
                limitSamplesPerSecond: m.limitSamplesPerSecond, sgemmGflops: m.sgemmGflops,
                flopsPerSample: trainer.network.trainingFlopsPerSample, efficiency: m.efficiency)
            (result.computeMilliseconds, result.communicateMilliseconds, result.updateMilliseconds) =
                (m.computeMilliseconds, m.communicateMilliseconds, m.updateMilliseconds)
            if group.size > 1 {
                result.averaging = m.mode.averaging
                if result.averaging == .sharded { result.reclaimsShard = m.mode != .shardedWithoutReclaim }
            }
            return result
        }
    }

    private func show(_ rows: [TrainBenchmarkResult]) {
        if json {
            for row in rows { Swift.print(jsonLine(row.json)) }
            return
        }
        Swift.print((rows.first?.machine ?? Machine.current).line)
        var table = TextTable(headers: ["model", "ranks", "averaging", "batch/rank", "samples/s", "sgemm limit", "of limit",
                                        "efficiency", "sgemm GFLOP/s", "MFLOP/sample", "compute ms", "comm ms", "update ms"])
        for r in rows {
            table.add([r.model, "\(r.ranks)", r.averaging.map { $0.rawValue + (r.reclaimsShard == false ? " (no reclaim)" : "") } ?? "-", "\(r.batch)", String(format: "%.0f", r.samplesPerSecond),
                       String(format: "%.0f", r.limitSamplesPerSecond * Double(r.ranks)),
                       String(format: "%.1f%%", 100 * r.samplesPerSecond / (r.limitSamplesPerSecond * Double(r.ranks))),
                       r.efficiency.map { String(format: "%.3f", $0) } ?? "-",
                       String(format: "%.1f", r.sgemmGflops), String(format: "%.2f", r.flopsPerSample / 1e6),
                       String(format: "%.3f", r.computeMilliseconds), String(format: "%.3f", r.communicateMilliseconds),
                       String(format: "%.3f", r.updateMilliseconds)])
        }
        Swift.print(table.rendered)
        Swift.print("(medians of \(repeats) repetitions; the limit times each rank's sgemm calls alone at the same shapes, "
                    + "times the ranks; efficiency = median over repetitions of samples/s ÷ (ranks × the 1-rank samples/s of the "
                    + "same repetition: rank 0 alone while the others sleep, in the same mpirun job); "
                    + "averaging: one_call = one all-reduce after backward (job.sharded_update: false); overlap = buckets during backward (job.overlap); "
                    + "sharded (the default) = reduce-scatter, each rank updates its shard, all-gather (job.sharded_update); "
                    + "(no reclaim) = sharded without first taking back the shard's cache lines the other ranks read; "
                    + "compute/comm/update ms = rank 0's mean time per step in forward+backward, waiting for the gradient average, and the update)")
    }
}
