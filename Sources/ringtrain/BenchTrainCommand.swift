// BenchTrainCommand: `ringtrain bench train` — training samples/s (tokens/s for text) of a built-in
// model or of any config's model, beside the sgemm-bound limit measured in the same run.
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

    @Option(help: "Model: mlp (784-512-256-10) or cnn (conv16-conv32-fc128) on Fashion-MNIST; gpt (\(Self.configOf["gpt"]!)) or resnet (\(Self.configOf["resnet"]!)). (default: mlp)")
    var model: String?

    @Option(help: "Samples per rank per step (default 128 for mlp and cnn; a config's batch_size otherwise).")
    var batch: Int?

    @Option(help: "Training steps per timed repetition (default 200 for mlp, 20 for cnn, 5 for a text model, 10 for other configs).")
    var steps: Int?

    @Option(help: "Measure this config's model on its data instead (synthetic bytes if its text corpus is missing); with --model gpt or resnet, the config used in place of theirs.")
    var config: String?

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
            if let model, !Self.builtIn.contains(model) && Self.configOf[model] == nil {
                throw ConfigError(file: "--model", keyPath: "", message: "'\(model)' is not a benchmark model",
                                  hint: "use mlp, cnn, gpt or resnet, or --config FILE for any config's model")
            }
            if let model, config != nil, Self.builtIn.contains(model) {
                throw ConfigError(file: "--config", keyPath: "", message: "--model \(model) is built in and takes no config",
                                  hint: "drop --model to measure the config's own model")
            }
            guard batch.map({ $0 >= 1 }) ?? true else { throw ConfigError(file: "--batch", keyPath: "", message: "must be at least 1") }
            guard steps.map({ $0 >= 1 }) ?? true else { throw ConfigError(file: "--steps", keyPath: "", message: "must be at least 1") }
            guard repeats >= 1 else { throw ConfigError(file: "--repeats", keyPath: "", message: "must be at least 1") }
            guard ranks >= 1 else { throw ConfigError(file: "--ranks", keyPath: "", message: "must be at least 1") }
            if worker {
                try runRank()
                return
            }
            guard ranks > 1 else {
                show(try measure(group: .singleRank(), alone: nil))
                return
            }
            // Every row is measured in one mpirun job, side by side (see runRank); rank 0 prints
            // them as JSON lines, read back here.
            var args = ["bench", "train", "--worker", "--repeats", "\(repeats)", "--data", data, "--ranks", "\(ranks)"]
            if let model { args += ["--model", model] }
            if let config { args += ["--config", config] }
            if let batch { args += ["--batch", "\(batch)"] }
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
    private func runRank() throws {
        try MPIEnvironment.initialize()
        let group = Collectives(try MPICommunicator.world())
        try group.installWatchdog(Watchdog(timeout: 300, rank: group.rank))
        let rows = try measure(group: group, alone: group.rank == 0 ? .singleRank() : nil) {
            try group.quietBarrier()
        }
        if group.rank == 0 { for row in rows { print(jsonLine(row.json)) } }
        try MPIEnvironment.finalize()
    }

    /// The built-in models, measured on Fashion-MNIST from `--data`.
    static let builtIn: Set = ["mlp", "cnn"]
    /// The models named after a config of the repository, measured on that config's data.
    static let configOf = ["gpt": "configs/shakespeare-gpt.yaml", "resnet": "configs/fashion-resnet.yaml"]

    /// The config whose model is measured, or nil for a built-in model.
    private var configPath: String? { config ?? model.flatMap { Self.configOf[$0] } }

    /// The job for `ranks` ranks, its tokens per sample (language models) and, when the corpus
    /// is missing, a note that it trains on synthetic bytes.
    private func benchmarkJob(ranks: Int) throws -> (job: TrainingJob, tokens: Int?, data: String?) {
        guard let configPath else {
            var job = TrainBenchmark.job(model: ModelSpec(kind: ModelSpec.Kind(rawValue: model ?? "mlp")!), batchPerRank: batch ?? 128,
                                         ranks: ranks, dataDirectory: data)
            job.fp16Gradients = fp16
            return (job, nil, nil)
        }
        var made = try TrainBenchmark.configJob(config: configPath, batchPerRank: batch, ranks: ranks)
        made.job.fp16Gradients = made.job.fp16Gradients || fp16
        return (made.job, made.tokensPerSample, made.synthetic ? "synthetic bytes (corpus missing)" : nil)
    }

    /// Training steps per timed repetition.
    private func stepsPerRepetition(tokens: Int?) -> Int {
        if let steps { return steps }
        if configPath == nil { return model == "cnn" ? 20 : 200 }
        return tokens == nil ? 10 : 5
    }

    private func measure(group: Collectives, alone: Collectives?,
                         quietBarrier: () throws -> Void = {}) throws -> [TrainBenchmarkResult] {
        let (job, tokens, dataNote) = try benchmarkJob(ranks: group.size)
        let splits = try DatasetLoader.load(job.dataset, seed: job.seed)
        let trainer = try Trainer(job: job, data: splits, collectives: group)
        let single = try alone.map { try Trainer(job: benchmarkJob(ranks: 1).job, data: splits, collectives: $0) }
        let modes = group.size > 1 ? Self.rankModes : [.together(.oneCall)]
        let measured = try TrainBenchmark.measure(trainer: trainer, alone: single, quietBarrier: quietBarrier,
                                                  steps: stepsPerRepetition(tokens: tokens), repeats: repeats, modes: modes)
        let name = configPath == nil ? job.model.summary(inputs: splits.train.featureCount, outputs: trainer.network.outputWidth)
            : tokens.map { "\(job.name) ctx\($0)" } ?? job.name
        return measured.map { m in
            var result = TrainBenchmarkResult(
                model: name, ranks: m.mode == .alone ? 1 : group.size, batch: job.localBatch, samplesPerSecond: m.samplesPerSecond,
                limitSamplesPerSecond: m.limitSamplesPerSecond, sgemmGflops: m.sgemmGflops,
                flopsPerSample: trainer.network.trainingFlopsPerSample, efficiency: m.efficiency)
            (result.computeMilliseconds, result.communicateMilliseconds, result.updateMilliseconds) =
                (m.computeMilliseconds, m.communicateMilliseconds, m.updateMilliseconds)
            (result.tokensPerSample, result.data) = (tokens, dataNote)
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
        let tokens = rows.first?.tokensPerSample
        if let note = rows.first?.data { Swift.print("data: \(note)") }
        var table = TextTable(headers: ["model", "ranks", "averaging", "batch/rank", "samples/s"] + (tokens == nil ? [] : ["tokens/s"]) + ["sgemm limit", "of limit",
                                        "efficiency", "sgemm GFLOP/s", "MFLOP/sample", "compute ms", "comm ms", "update ms"])
        for r in rows {
            let perSecond = [String(format: "%.0f", r.samplesPerSecond)]
                + (tokens.map { [String(format: "%.0f", r.samplesPerSecond * Double($0))] } ?? [])
            let limit = r.limitSamplesPerSecond * Double(r.ranks) * Double(tokens ?? 1)
            table.add([r.model, "\(r.ranks)", r.averaging.map { $0.rawValue + (r.reclaimsShard == false ? " (no reclaim)" : "") } ?? "-", "\(r.batch)"]
                      + perSecond + [String(format: "%.0f", limit),
                       String(format: "%.1f%%", 100 * r.samplesPerSecond / (r.limitSamplesPerSecond * Double(r.ranks))),
                       r.efficiency.map { String(format: "%.3f", $0) } ?? "-",
                       String(format: "%.1f", r.sgemmGflops), String(format: "%.2f", r.flopsPerSample / 1e6),
                       String(format: "%.3f", r.computeMilliseconds), String(format: "%.3f", r.communicateMilliseconds),
                       String(format: "%.3f", r.updateMilliseconds)])
        }
        Swift.print(table.rendered)
        Swift.print("(medians of \(repeats) repetitions; sgemm limit in \(tokens == nil ? "samples" : "tokens")/s; the limit times each rank's sgemm calls alone at the same shapes, "
                    + "times the ranks; efficiency = median over repetitions of samples/s ÷ (ranks × the 1-rank samples/s of the "
                    + "same repetition: rank 0 alone while the others sleep, in the same mpirun job); "
                    + "averaging: one_call = one all-reduce after backward (job.sharded_update: false); overlap = buckets during backward (job.overlap); "
                    + "sharded (the default) = reduce-scatter, each rank updates its shard, all-gather (job.sharded_update); "
                    + "(no reclaim) = sharded without first taking back the shard's cache lines the other ranks read; "
                    + "compute/comm/update ms = rank 0's mean time per step in forward+backward, waiting for the gradient average, and the update)")
    }
}
