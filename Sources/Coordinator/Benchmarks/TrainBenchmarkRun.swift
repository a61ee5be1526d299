// TrainBenchmarkRun: all of `ringtrain bench train` behind its options (TrainBenchmarkSettings) —
// one process for one rank, or this binary relaunched under mpirun with rank 0's JSON rows read
// back — and its table.
import Collective
import Foundation
import Model
import Worker

/// Runs the training benchmark and prints its rows.
public enum TrainBenchmarkRun {
    /// What each repetition of the N-rank measurement times, in order: rank 0 alone, then every
    /// way of averaging gradients, then the sharded update without reclaiming cache lines.
    static let rankModes: [TrainBenchmark.Mode] =
        [.alone] + GradientAveraging.allCases.map { .together($0) } + [.shardedWithoutReclaim]

    /// Measures as `settings` say and prints the rows (a table, or JSON lines). With several
    /// ranks, every row is measured in one mpirun job of this binary run with `rankArguments`
    /// (which must run `runRank` with the same settings on every rank); rank 0's JSON lines are
    /// read back here.
    public static func run(_ settings: TrainBenchmarkSettings, rankArguments: [String]) throws {
        guard settings.ranks > 1 else {
            print(rendered(try measure(settings, group: .singleRank(), alone: nil), settings: settings))
            return
        }
        let output = try SelfLaunch.capture(ranks: settings.ranks, arguments: rankArguments, cluster: settings.cluster)
        let rows = jsonObjects(in: output).compactMap(TrainBenchmarkResult.init(json:))
        guard rows.count == rankModes.count else { throw LaunchError("the \(settings.ranks)-rank benchmark printed no result:\n\(output)") }
        print(rendered(rows, settings: settings))
    }

    /// One rank of the N-rank measurement (under mpirun). Each repetition times rank 0 alone
    /// (the others asleep in a quiet barrier), then all ranks with each way of averaging
    /// gradients; rank 0 prints the rows as JSON lines.
    public static func runRank(_ settings: TrainBenchmarkSettings) throws {
        let group = try rankGroup()
        group.allowsHostMemory = settings.sharedMemory
        let rows = try measure(settings, group: group, alone: group.rank == 0 ? .singleRank() : nil) {
            try group.quietBarrier()
        }
        if group.rank == 0 { for row in rows { print(jsonLine(row.json)) } }
        try MPIEnvironment.finalize()
    }

    /// The ranks of this mpirun job, with MPI started and every wait bounded (300 s).
    static func rankGroup() throws -> Collectives {
        try MPIEnvironment.initialize()
        let group = Collectives(try MPICommunicator.world())
        try group.installWatchdog(Watchdog(timeout: 300, rank: group.rank))
        return group
    }

    /// The JSON objects among the lines of `output` (rank 0's rows; other lines are skipped).
    static func jsonObjects(in output: String) -> [[String: Any]] {
        output.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The name a row gives the measured model: a built-in model's layer sizes, a text model's
    /// job name and context, or the config's job name.
    static func modelName(_ settings: TrainBenchmarkSettings, job: TrainingJob, data: DataSplits, trainer: Trainer, tokens: Int?) -> String {
        settings.configPath == nil ? job.model.summary(inputs: data.train.featureCount, outputs: trainer.network.outputWidth)
            : tokens.map { "\(job.name) ctx\($0)" } ?? job.name
    }

    /// The job for `ranks` ranks, its tokens per sample (language models) and, when the corpus
    /// is missing, a note that it trains on synthetic bytes.
    static func job(_ settings: TrainBenchmarkSettings, ranks: Int) throws -> (job: TrainingJob, tokens: Int?, data: String?) {
        guard let configPath = settings.configPath else {
            var job = TrainBenchmark.job(model: ModelSpec(kind: ModelSpec.Kind(rawValue: settings.model ?? "mlp")!),
                                         batchPerRank: settings.batch ?? 128, ranks: ranks, dataDirectory: settings.data)
            job.fp16Gradients = settings.fp16
            return (job, nil, nil)
        }
        var made = try TrainBenchmark.configJob(config: configPath, batchPerRank: settings.batch, ranks: ranks)
        made.job.fp16Gradients = made.job.fp16Gradients || settings.fp16
        return (made.job, made.tokensPerSample, made.synthetic ? "synthetic bytes (corpus missing)" : nil)
    }

    /// Training steps per timed repetition: `settings.steps`, else 200 for mlp, 20 for cnn, 5 for
    /// a text model, 10 for other configs.
    static func stepsPerRepetition(_ settings: TrainBenchmarkSettings, tokens: Int?) -> Int {
        if let steps = settings.steps { return steps }
        if settings.configPath == nil { return settings.model == "cnn" ? 20 : 200 }
        return tokens == nil ? 10 : 5
    }

    /// The rows of `group` (with `alone`, rank 0's single-process group, the 1-rank baseline too).
    static func measure(_ settings: TrainBenchmarkSettings, group: Collectives, alone: Collectives?,
                        quietBarrier: () throws -> Void = {}) throws -> [TrainBenchmarkResult] {
        let (job, tokens, dataNote) = try job(settings, ranks: group.size)
        let splits = try DatasetLoader.load(job.dataset, seed: job.seed)
        let trainer = try Trainer(job: job, data: splits, collectives: group)
        let single = try alone.map { try Trainer(job: Self.job(settings, ranks: 1).job, data: splits, collectives: $0) }
        let modes = group.size > 1 ? rankModes : [.together(.oneCall)]
        let measured = try TrainBenchmark.measure(trainer: trainer, alone: single, quietBarrier: quietBarrier,
                                                  steps: stepsPerRepetition(settings, tokens: tokens), repeats: settings.repeats,
                                                  modes: modes)
        let name = modelName(settings, job: job, data: splits, trainer: trainer, tokens: tokens)
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

    /// `rows` as JSON lines, or as the machine line, a note on the data and a table with its legend.
    static func rendered(_ rows: [TrainBenchmarkResult], settings: TrainBenchmarkSettings) -> String {
        if settings.json { return rows.map { jsonLine($0.json) }.joined(separator: "\n") }
        var lines = [(rows.first?.machine ?? Machine.current).line]
        let tokens = rows.first?.tokensPerSample
        if let note = rows.first?.data { lines.append("data: \(note)") }
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
        lines.append(table.rendered)
        lines.append("(medians of \(settings.repeats) repetitions; sgemm limit in \(tokens == nil ? "samples" : "tokens")/s; the limit times each rank's sgemm calls alone at the same shapes, "
                     + "times the ranks; efficiency = median over repetitions of samples/s ÷ (ranks × the 1-rank samples/s of the "
                     + "same repetition: rank 0 alone while the others sleep, in the same mpirun job); "
                     + "averaging: one_call = one all-reduce after backward (job.sharded_update: false); overlap = buckets during backward (job.overlap); "
                     + "sharded (the default) = reduce-scatter, each rank updates its shard, all-gather (job.sharded_update); "
                     + "(no reclaim) = sharded without first taking back the shard's cache lines the other ranks read; "
                     + "compute/comm/update ms = rank 0's mean time per step in forward+backward, waiting for the gradient average, and the update)")
        return lines.joined(separator: "\n")
    }
}
