// TrainBenchmark: training throughput on Fashion-MNIST beside the sgemm-bound limit measured
// in the same run at the same matrix shapes — what `ringtrain bench train` prints.
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
    /// Whether the gradient average overlapped the backward pass (nil for one rank).
    public var overlap: Bool?

    public init(model: String, ranks: Int, batch: Int, samplesPerSecond: Double, limitSamplesPerSecond: Double,
                sgemmGflops: Double, flopsPerSample: Double, efficiency: Double? = nil, testAccuracy: Double? = nil) {
        (self.model, self.ranks, self.batch, self.samplesPerSecond, self.limitSamplesPerSecond) =
            (model, ranks, batch, samplesPerSecond, limitSamplesPerSecond)
        (self.sgemmGflops, self.flopsPerSample, self.efficiency, self.testAccuracy) =
            (sgemmGflops, flopsPerSample, efficiency, testAccuracy)
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
        if let overlap { o["overlap"] = overlap }
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

    /// What `measure` found: medians over the repetitions.
    public struct Measurement: Sendable {
        /// Global samples/s.
        public var samplesPerSecond: Double
        /// Samples/s the step's sgemm calls alone allow on one rank.
        public var limitSamplesPerSecond: Double
        /// GFLOP/s sgemm reached at the step's shapes.
        public var sgemmGflops: Double
        /// Milliseconds per step in each phase (this rank).
        public var computeMilliseconds: Double, communicateMilliseconds: Double, updateMilliseconds: Double
    }

    /// Times `steps` training steps per repetition (after one warm-up step per mode) on this
    /// rank's trainer, and the same step's sgemm calls alone, `repeats` times. Each repetition
    /// runs every mode of `overlapModes` in turn (side by side, so machine noise hits all alike).
    /// Returns one measurement per mode.
    public static func measure(trainer: Trainer, steps: Int, repeats: Int,
                               overlapModes: [Bool] = [false]) throws -> [Measurement] {
        var sampler = trainer.currentSampler()
        var none: ClassificationMetrics? = nil
        for mode in overlapModes {
            trainer.overlap = mode
            _ = try trainer.step(sampler, metrics: &none)
        }
        let localBatch = trainer.job.localBatch
        let timer = MatrixProductTimer(trainer.network.matrixProducts(batch: localBatch))
        var samples = [[Double]](repeating: [], count: overlapModes.count)
        var phases = [[(compute: Double, communicate: Double, update: Double)]](repeating: [], count: overlapModes.count)
        var limits: [Double] = [], gflops: [Double] = []
        for _ in 0..<repeats {
            for (m, mode) in overlapModes.enumerated() {
                if trainer.position.stepInEpoch + steps > sampler.stepsPerEpoch {
                    trainer.resume(at: TrainingPosition(epoch: trainer.position.epoch + 1, stepInEpoch: 0,
                                                        globalStep: trainer.position.globalStep))
                    sampler = trainer.currentSampler()
                }
                trainer.overlap = mode
                _ = try trainer.group.sum([0])   // line the ranks up before timing
                trainer.phaseTimes = StepPhaseTimes()
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<steps { _ = try trainer.step(sampler, metrics: &none) }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let meanSeconds = try trainer.group.sum([seconds]).first! / Double(trainer.group.size)
                samples[m].append(Double(steps * trainer.job.batchSize) / meanSeconds)
                phases[m].append(trainer.phaseTimes.millisecondsPerStep)
            }
            let gemmSeconds = timer.secondsPerPass(passes: steps)
            limits.append(Double(localBatch) / gemmSeconds)
            gflops.append(timer.flopsPerPass / gemmSeconds / 1e9)
        }
        return overlapModes.indices.map { m in
            Measurement(samplesPerSecond: median(samples[m]), limitSamplesPerSecond: median(limits),
                        sgemmGflops: median(gflops), computeMilliseconds: median(phases[m].map(\.compute)),
                        communicateMilliseconds: median(phases[m].map(\.communicate)),
                        updateMilliseconds: median(phases[m].map(\.update)))
        }
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
