// TrainingJob: everything one training run needs, fully resolved — data, model, loss,
// optimizer, schedule, batch, epochs, ranks — with the defaults stated on each field.
import Model

/// What happens to the last samples of an epoch that do not fill a whole global batch.
public enum TailPolicy: String, Sendable, CaseIterable {
    /// Skip them (every rank runs the same number of full steps). The default.
    case drop
    /// Fill the last batch by wrapping around to the start of the epoch's order.
    case pad
}

/// A fully resolved training job. Every rank runs exactly this.
public struct TrainingJob: Sendable, Equatable {
    /// Run name, used for folder names and reports; default `run`.
    public var name: String = "run"
    /// Seed for initialisation, shuffling, dropout and the validation split; default 0.
    public var seed: UInt64 = 0
    /// The data.
    public var dataset: DatasetSpec
    /// The network; default the MLP 784-512-256-10.
    public var model = ModelSpec()
    /// The loss; nil means chosen from the task (cross-entropy for classification, MSE for
    /// regression).
    public var loss: LossKind? = nil
    /// The optimizer; default SGD, learning rate 0.05, momentum 0.9.
    public var optimizer = OptimizerSpec(kind: .sgd, learningRate: 0.05)
    /// The learning-rate schedule; default constant.
    public var schedule = ScheduleSpec()
    /// Global batch: samples per optimizer step summed over all ranks; default 128.
    public var batchSize = 128
    /// Passes over the training set; default 10. Not used when `steps` is set.
    public var epochs = 10
    /// The budget in optimizer steps instead of epochs (`job.steps`); default nil (epochs).
    /// Each step's batch is then drawn by `StepSampler`, and the schedule spans these steps.
    public var steps: Int? = nil
    /// With `steps`: validate and report every this many steps, and at the end; default nil
    /// (only at the end).
    public var evalEvery: Int? = nil
    /// Number of processes; default 1.
    public var ranks = 1
    /// Micro-steps per optimizer step (gradient accumulation); the global batch is split
    /// into this many micro-batches. Default 1.
    public var accumulate = 1
    /// Handling of the epoch's incomplete last batch; default `.drop`.
    public var tail = TailPolicy.drop
    /// Samples per forward pass when evaluating; default 1000 (64 windows for text data).
    public var evaluationBatch = 1000
    /// When checkpoints are saved and which are kept; default every epoch and at the end,
    /// keeping the newest 3.
    public var checkpoint = CheckpointPolicy()
    /// Send gradients as fp16 in the all-reduce (sums stay fp32; every rank ends with the same
    /// fp16-rounded average, so replicas stay identical). Default false.
    public var fp16Gradients = false
    /// Average the gradients in buckets during the backward pass (a bucket starts reducing on a
    /// background thread as soon as its layers' gradients are final) instead of in one call
    /// after it. Default false: with one core per rank there is no core for the background thread
    /// (docs/benchmarks.md).
    public var overlap = false
    /// Smallest bucket when `overlap` is on, in bytes: layers join a bucket, last layer first,
    /// until it holds at least this much. Default 524_288 (512 KiB).
    public var bucketBytes = 524_288
    /// Split the update across ranks: a reduce-scatter leaves each rank the averaged gradients
    /// of its 1/N shard, each rank updates only that shard, and an all-gather spreads the new
    /// parameters (optimizer state is gathered only for checkpoints). 1/N of the update work per
    /// rank; the same results (bit for bit with 2 ranks, within float rounding with more, where
    /// sums group differently). Default true, chosen with `ringtrain bench train --ranks 2`
    /// (docs/benchmarks.md). `overlap` takes precedence: a job with both averages
    /// with overlap (the config parser rejects both set explicitly).
    public var shardedUpdate = true
    /// What a non-finite training loss, or weights not finite after an update, do
    /// (`job.on_nonfinite`); default `.stop` (the run ends with exit 1 and a `diverged` line).
    public var onNonFinite = NonFinitePolicy.stop
    /// Record every rank's spans of every step's phases into the run folder's `timeline/`
    /// (`job.timeline`, `--timeline`; `ringtrain timeline` merges them into a Chrome trace).
    /// Default false: the step path then reads no clock for it. Never changes the results.
    public var timeline = false
    /// Stop with a checkpoint once this many epochs (evaluations, with a steps budget) of the
    /// run are done, as a stop signal would, and exit 3; `ringtrain resume` goes on from there
    /// (`job.stop_after`, `--stop-after`; population-based training stops its members so). A run
    /// already that far stops at once. Default nil. Never changes the results.
    public var stopAfter: Int?

    public init(dataset: DatasetSpec) {
        self.dataset = dataset
    }

    /// Metrics lines before the final one: one per epoch, or with `steps` one per `evalEvery`
    /// steps plus one at the end when that is not a multiple.
    public var progressReports: Int {
        guard let steps else { return epochs }
        let every = evalEvery ?? steps
        return (steps + every - 1) / every
    }

    /// Samples each rank processes per micro-step.
    public var localBatch: Int { batchSize / (ranks * accumulate) }

    /// The loss for a task: the configured one, or the task's natural loss.
    public func lossKind(for task: LearningTask) -> LossKind {
        if let loss { return loss }
        switch task {
        case .classification, .languageModel: return .crossEntropy
        case .regression: return .meanSquaredError
        }
    }
}
