// TrainBenchmark: training throughput (built-in Fashion-MNIST models, or any config's model on its
// data) beside the sgemm-bound limit measured in the same run at the same matrix shapes — what `ringtrain bench train` prints.
import Foundation
import Model
import Worker

/// One measured configuration.
public struct TrainBenchmarkResult: Sendable {
    // Every field is settable so a row measured elsewhere (under mpirun) can be filled in.
    public var model: String
    public var ranks: Int
    public var batch: Int
    /// Median global samples/s over the repetitions.
    public var samplesPerSecond: Double
    /// Median samples/s the step's sgemm calls alone allow (one rank).
    public var limitSamplesPerSecond: Double
    /// Median GFLOP/s sgemm reached at the step's shapes.
    public var sgemmGflops: Double
    /// Matrix-product FLOPs per sample of one training step.
    public var flopsPerSample: Double
    /// samples/s ÷ (ranks × the 1-rank figure), when measured with ranks > 1.
    public var efficiency: Double?
    /// Test accuracy after training, when measured.
    public var testAccuracy: Double?
    /// Median milliseconds per step in compute (forward + backward), in waiting for the
    /// gradient average, and in the update (rank 0's view).
    public var computeMilliseconds = 0.0, communicateMilliseconds = 0.0, updateMilliseconds = 0.0
    /// How gradients were averaged (nil for one rank).
    public var averaging: GradientAveraging?
    /// For sharded rows: whether the parameter shard's cache lines were reclaimed before each
    /// update (`GradientExchange.reclaimsParameterShard`).
    public var reclaimsShard: Bool?
    /// Tokens per sample for language models (the context), so rows also report tokens/s; nil otherwise.
    public var tokensPerSample: Int?
    /// What the model trained on, when it is worth saying (e.g. "synthetic bytes"); nil otherwise.
    public var data: String?
    /// The machine that measured the row (rank 0's).
    public var machine = Machine.current

    public init(model: String, ranks: Int, batch: Int, samplesPerSecond: Double, limitSamplesPerSecond: Double,
                sgemmGflops: Double, flopsPerSample: Double, efficiency: Double? = nil, testAccuracy: Double? = nil) {
        (self.model, self.ranks, self.batch, self.samplesPerSecond, self.limitSamplesPerSecond) =
            (model, ranks, batch, samplesPerSecond, limitSamplesPerSecond)
        (self.sgemmGflops, self.flopsPerSample, self.efficiency, self.testAccuracy) =
            (sgemmGflops, flopsPerSample, efficiency, testAccuracy)
    }

    /// Reads back a row printed as `json` (nil when a key is missing).
    public init?(json o: [String: Any]) {
        guard let model = o["model"] as? String, let ranks = o["ranks"] as? Int, let batch = o["batch"] as? Int,
              let samples = o["samples_per_s"] as? Double, let limit = o["limit_samples_per_s"] as? Double,
              let gflops = o["sgemm_gflops"] as? Double, let flops = o["flops_per_sample"] as? Double,
              let compute = o["compute_ms"] as? Double, let communicate = o["communicate_ms"] as? Double,
              let update = o["update_ms"] as? Double else { return nil }
        self.init(model: model, ranks: ranks, batch: batch, samplesPerSecond: samples, limitSamplesPerSecond: limit,
                  sgemmGflops: gflops, flopsPerSample: flops, efficiency: o["efficiency"] as? Double,
                  testAccuracy: o["test_acc"] as? Double)
        (computeMilliseconds, communicateMilliseconds, updateMilliseconds) = (compute, communicate, update)
        averaging = (o["averaging"] as? String).flatMap(GradientAveraging.init(rawValue:))
        reclaimsShard = o["reclaim"] as? Bool
        tokensPerSample = o["tokens_per_sample"] as? Int
        data = o["data"] as? String
        if let machine = (o["machine"] as? [String: Any]).flatMap(Machine.init(json:)) { self.machine = machine }
    }

    public var json: [String: Any] {
        var o: [String: Any] = ["model": model, "ranks": ranks, "batch": batch, "samples_per_s": samplesPerSecond,
                                "limit_samples_per_s": limitSamplesPerSecond, "fraction_of_limit": samplesPerSecond / (limitSamplesPerSecond * Double(ranks)),
                                "sgemm_gflops": sgemmGflops, "flops_per_sample": flopsPerSample]
        if let efficiency { o["efficiency"] = efficiency }
        if let testAccuracy { o["test_acc"] = testAccuracy }
        o["compute_ms"] = computeMilliseconds
        o["communicate_ms"] = communicateMilliseconds
        o["update_ms"] = updateMilliseconds
        if let averaging {
            o["averaging"] = averaging.rawValue
            o["overlap"] = averaging == .overlap
        }
        if let reclaimsShard { o["reclaim"] = reclaimsShard }
        if let tokensPerSample {
            o["tokens_per_sample"] = tokensPerSample
            o["tokens_per_s"] = samplesPerSecond * Double(tokensPerSample)
            o["limit_tokens_per_s"] = limitSamplesPerSecond * Double(tokensPerSample)
        }
        if let data { o["data"] = data }
        o["machine"] = machine.json
        return o
    }
}

/// Measures training steps per second against the sgemm limit, interleaved, with medians.
public enum TrainBenchmark {
    /// The benchmark's job: Fashion-MNIST, the given model, SGD momentum 0.9, `batchPerRank`
    /// samples per rank per step.
    public static func job(model: ModelSpec, batchPerRank: Int, ranks: Int, dataDirectory: String) -> TrainingJob {
        var job = TrainingJob(dataset: .fashionMNIST(directory: dataDirectory))
        job.name = "bench-\(model.kind.rawValue)"
        job.model = model
        job.optimizer = OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.9)
        job.batchSize = batchPerRank * ranks
        job.ranks = ranks
        job.epochs = 1
        return job
    }

    /// The benchmark job of `config` (any run config, e.g. configs/shakespeare-gpt.yaml or
    /// configs/fashion-resnet.yaml): its model, data and optimizer, with `batchPerRank` samples per
    /// rank per step on `ranks` ranks (default: the config's `batch_size`, per rank). For a text
    /// dataset `tokensPerSample` is its context; when its corpus file is missing, it trains on
    /// `syntheticBytes` seeded random bytes written to a temporary file instead, and `synthetic`
    /// is true.
    public static func configJob(config: String, batchPerRank: Int?, ranks: Int, syntheticBytes: Int = 1 << 20) throws
        -> (job: TrainingJob, tokensPerSample: Int?, synthetic: Bool) {
        // The job parser refuses a missing corpus, so look at the path first and point it at
        // synthetic bytes when a text file is not there.
        let file = try ConfigFile.load(path: config)
        let dataset = try? file.root.table(allowed: nil)["job"]?.table(allowed: nil)["dataset"]?.table(allowed: nil)
        let format = try? dataset?["format"]?.string(), given = try? dataset?["path"]?.string()
        var overrides: [String] = []
        // A dataset is text when it says so, or when `path` is its only file (as the parser infers).
        let isText = format == "text" || (format == nil && dataset?["name"] == nil && dataset?["train"] == nil
                                          && dataset?["dir"] == nil && dataset?["train_images"] == nil)
        if isText, let given, !FileManager.default.fileExists(atPath: given.hasPrefix("/") ? given : file.directory + "/" + given) {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("ringtrain-bench-synthetic-\(syntheticBytes).txt").path
            var rng = CounterRNG(seed: 1, stream: .test)
            try Data((0..<syntheticBytes).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).write(to: URL(fileURLWithPath: path), options: .atomic)
            overrides = ["job.dataset.path=\(path)"]
        }
        let run = try RunConfig.load(path: config, overrides: overrides)
        guard run.hasJob else {
            throw ConfigError(file: config, keyPath: "job", message: "the config has no job section: there is no model to measure",
                              hint: "give a config with job.model and job.dataset, such as configs/fashion-resnet.yaml")
        }
        var job = run.job
        job.batchSize = (batchPerRank ?? job.batchSize) * ranks
        job.ranks = ranks
        job.accumulate = 1
        job.steps = nil
        job.epochs = 1
        var tokens: Int?
        if case let .text(_, _, context) = job.dataset.source { tokens = context }
        return (job, tokens, !overrides.isEmpty)
    }

    /// One way of running the steps that a repetition times.
    public enum Mode: Sendable, Hashable {
        /// Rank 0 trains its single-process trainer while the other ranks wait asleep (a quiet
        /// barrier): the 1-rank baseline, measured in the same run as the N-rank modes.
        case alone
        /// All ranks train together, averaging gradients this way.
        case together(GradientAveraging)
        /// All ranks train with the sharded update without reclaiming the parameter shard's
        /// cache lines first (`GradientExchange.reclaimsParameterShard`): shows what reclaiming saves.
        case shardedWithoutReclaim

        /// How the ranks average gradients in this mode (nil: rank 0 trains alone).
        public var averaging: GradientAveraging? {
            switch self {
            case .alone: nil
            case .together(let averaging): averaging
            case .shardedWithoutReclaim: .sharded
            }
        }

        /// Makes `trainer`'s gradient exchange average as this mode does; leaving the sharded
        /// update first makes the optimizer state whole (collective: every rank at once).
        func configure(_ trainer: Trainer) throws {
            guard let averaging else { return }
            try trainer.useAveraging(averaging)
            trainer.exchange.reclaimsParameterShard = self != .shardedWithoutReclaim
        }
    }

    /// What `measure` found for one mode: medians over the repetitions.
    public struct Measurement: Sendable {
        public var mode: Mode
        /// Global samples/s.
        public var samplesPerSecond: Double
        /// Samples/s the step's sgemm calls alone allow on one rank (timed alone for `.alone`,
        /// on every rank at once otherwise).
        public var limitSamplesPerSecond: Double
        /// GFLOP/s sgemm reached at the step's shapes.
        public var sgemmGflops: Double
        /// Milliseconds per step in each phase (this rank).
        public var computeMilliseconds: Double, communicateMilliseconds: Double, updateMilliseconds: Double
        /// Median over repetitions of samples/s ÷ (ranks × the same repetition's `.alone`
        /// samples/s), when `.alone` was measured too.
        public var efficiency: Double?
    }

    /// Times `steps` training steps per mode per repetition (after one warm-up step per mode),
    /// and the step's sgemm calls alone, `repeats` times. Each repetition runs every mode in
    /// turn, side by side, so machine noise hits all modes alike. `.alone` needs `alone` (a
    /// single-process trainer) on rank 0 and `quietBarrier` (which every rank calls around it).
    /// Returns one measurement per mode; only rank 0's are meaningful for `.alone`.
    public static func measure(trainer: Trainer, alone: Trainer? = nil, quietBarrier: () throws -> Void = {},
                               steps: Int, repeats: Int, modes: [Mode]) throws -> [Measurement] {
        let isRoot = trainer.collectives.rank == 0
        if isRoot && modes.contains(.alone) && alone == nil {
            throw TrainingError("the .alone mode needs a single-process trainer on rank 0")
        }
        /// The trainer a mode runs on this rank (nil: this rank waits through `.alone`).
        func runner(_ mode: Mode) -> Trainer? { mode == .alone ? (isRoot ? alone : nil) : trainer }
        var none: ClassificationMetrics? = nil
        let phaseTimes = StepPhaseTimes()
        for mode in modes {   // one warm-up step each
            try mode.configure(trainer)
            if let runner = runner(mode) { _ = try runner.step(runner.currentSampler(), metrics: &none) }
        }
        let localBatch = trainer.job.localBatch
        let timer = MatrixProductTimer(trainer.network.matrixProducts(batch: localBatch))
        func timeMatrixProducts() -> (samplesPerSecond: Double, gflops: Double) {
            let seconds = timer.secondsPerPass(passes: steps)
            return (Double(localBatch) / seconds, timer.flopsPerPass / seconds / 1e9)
        }
        var samples = [[Double]](repeating: [], count: modes.count)
        var phases = [[(compute: Double, communicate: Double, update: Double)]](repeating: [], count: modes.count)
        var limitAlone: [(samplesPerSecond: Double, gflops: Double)] = [], limitTogether = limitAlone
        for _ in 0..<repeats {
            for (m, mode) in modes.enumerated() {
                if case .alone = mode { try quietBarrier() } else { _ = try trainer.collectives.sum([0]) }
                if let runner = runner(mode) {
                    if runner.position.stepInEpoch + steps > runner.currentSampler().stepsPerEpoch {
                        runner.resume(at: TrainingPosition(epoch: runner.position.epoch + 1, stepInEpoch: 0,
                                                           globalStep: runner.position.globalStep))
                    }
                    try mode.configure(runner)
                    let sampler = runner.currentSampler()
                    phaseTimes.reset()
                    runner.observer = phaseTimes
                    defer { runner.observer = nil }
                    var seconds = try Stopwatch.seconds { for _ in 0..<steps { _ = try runner.step(sampler, metrics: &none) } }
                    if mode != .alone {
                        seconds = try trainer.collectives.sum([seconds]).first! / Double(trainer.collectives.size)
                    }
                    samples[m].append(Double(steps * runner.job.batchSize) / seconds)
                    phases[m].append(phaseTimes.millisecondsPerStep)
                }
                if case .alone = mode {
                    if isRoot { limitAlone.append(timeMatrixProducts()) }   // while the others still wait
                    try quietBarrier()
                }
            }
            limitTogether.append(timeMatrixProducts())   // every rank at once
        }
        let aloneIndex = modes.firstIndex(of: .alone)
        return modes.indices.map { m in
            var efficiency: Double?
            if let a = aloneIndex, m != a, samples[a].count == samples[m].count, !samples[m].isEmpty {
                efficiency = median(zip(samples[m], samples[a]).map { $0 / (Double(trainer.collectives.size) * $1) })
            }
            let limits = modes[m] == .alone ? limitAlone : limitTogether
            return Measurement(mode: modes[m], samplesPerSecond: median(samples[m]),
                               limitSamplesPerSecond: median(limits.map(\.samplesPerSecond)),
                               sgemmGflops: median(limits.map(\.gflops)), computeMilliseconds: median(phases[m].map(\.compute)),
                               communicateMilliseconds: median(phases[m].map(\.communicate)),
                               updateMilliseconds: median(phases[m].map(\.update)), efficiency: efficiency)
        }
    }
}
