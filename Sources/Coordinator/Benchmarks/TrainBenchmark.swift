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

    /// Times `steps` training steps per repetition (after one warm-up step) on this rank's
    /// trainer, and the same step's sgemm calls alone, `repeats` times. Returns
    /// (median global samples/s, median sgemm-limit samples/s for one rank, median GFLOP/s).
    public static func measure(trainer: Trainer, steps: Int, repeats: Int) throws -> (Double, Double, Double) {
        var sampler = trainer.currentSampler()
        var none: ClassificationMetrics? = nil
        _ = try trainer.step(sampler, metrics: &none)
        let localBatch = trainer.job.localBatch
        let timer = MatrixProductTimer(trainer.network.matrixProducts(batch: localBatch))
        var throughputs: [Double] = [], limits: [Double] = [], gflops: [Double] = []
        for _ in 0..<repeats {
            if trainer.position.stepInEpoch + steps > sampler.stepsPerEpoch {
                trainer.resume(at: TrainingPosition(epoch: trainer.position.epoch + 1, stepInEpoch: 0,
                                                    globalStep: trainer.position.globalStep))
                sampler = trainer.currentSampler()
            }
            _ = try trainer.group.sum([0])   // line the ranks up before timing
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { _ = try trainer.step(sampler, metrics: &none) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let meanSeconds = try trainer.group.sum([seconds]).first! / Double(trainer.group.size)
            throughputs.append(Double(steps * trainer.job.batchSize) / meanSeconds)
            let gemmSeconds = timer.secondsPerPass(passes: steps)
            limits.append(Double(localBatch) / gemmSeconds)
            gflops.append(timer.flopsPerPass / gemmSeconds / 1e9)
        }
        return (median(throughputs), median(limits), median(gflops))
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
