// JobParser: reads the `job` section of a config into a TrainingJob, checking every key,
// type and range, so that a mistake is reported with its line before anything runs.
import Model
import Worker

/// Parses `job:` mappings.
public enum JobParser {
    /// The values `job.ranks` may take (and `--ranks`, which sets it).
    public static let ranksRange = 1...65_536
    /// The values `job.stop_after` may take (and `--stop-after`).
    public static let stopAfterRange = 1...1_000_000

    static let jobKeys = ["name", "seed", "dataset", "model", "loss", "optimizer", "schedule", "batch_size",
                          "epochs", "steps", "eval_every", "ranks", "accumulate", "tail", "evaluation_batch", "checkpoint", "gradient_compression",
                          "overlap", "bucket_kb", "sharded_update", "on_nonfinite", "timeline", "stop_after"]

    /// Builds a job from the `job` section; `dataFiles` says whether the dataset's files must
    /// exist (default `.required`).
    public static func parse(_ value: ConfigValue, baseDirectory: String = "",
                             dataFiles: DatasetParser.FileCheck = .required) throws -> TrainingJob {
        let t = try value.table(allowed: jobKeys)
        let dataset = try t.required("dataset", hint: "e.g. dataset: {name: fashion-mnist}")
        var job = TrainingJob(dataset: try DatasetParser.parse(dataset, baseDirectory: baseDirectory, files: dataFiles))
        if let v = t["name"] {
            job.name = try v.string()
            guard job.name.range(of: #"^[A-Za-z0-9._-]+$"#, options: .regularExpression) != nil else {
                throw v.error("'\(job.name)' is not a usable run name", hint: "use letters, digits, '.', '_' or '-'")
            }
        }
        if let v = t["seed"] { job.seed = UInt64(try v.int(in: 0...Int.max)) }
        if let v = t["model"] {
            job.model = try ModelParser.parse(v)
            // Token ids must reach an embedding as they are written.
            if job.model.layers.first?.kind.type == .embedding, job.dataset.normalization != .none {
                let at = (try? dataset.table(allowed: nil))?["normalize"] ?? dataset
                throw at.error("model.layers[0] is an embedding, which takes whole token ids, but the features are normalised "
                               + "(\(job.dataset.normalization.rawValue))", hint: "add normalize: none to the dataset")
            }
        }
        if let v = t["loss"] {
            job.loss = LossKind(rawValue: try v.choice(LossKind.allCases.map(\.rawValue)))
            if case .text = job.dataset.source, job.loss != .crossEntropy {
                throw v.error("text data trains a next-byte language model, scored by cross_entropy", hint: "use loss: cross_entropy or leave loss out")
            }
        }
        if let v = t["optimizer"] { job.optimizer = try parseOptimizer(v) }
        if let v = t["schedule"] { job.schedule = try parseSchedule(v) }
        if let v = t["batch_size"] { job.batchSize = try v.int(in: 1...1_000_000) }
        try parseBudget(t, into: &job)
        if let v = t["ranks"] { job.ranks = try v.int(in: ranksRange) }
        if let v = t["accumulate"] { job.accumulate = try v.int(in: 1...4096) }
        if let v = t["tail"] { job.tail = TailPolicy(rawValue: try v.choice(TailPolicy.allCases.map(\.rawValue)))! }
        if let v = t["evaluation_batch"] {
            job.evaluationBatch = try v.int(in: 1...1_000_000)
        } else if case .text = job.dataset.source {
            job.evaluationBatch = 64   // each window's logits are context × 256 values
        }
        if let v = t["checkpoint"] { job.checkpoint = try parseCheckpoint(v) }
        if let v = t["gradient_compression"] { job.fp16Gradients = try v.choice(["none", "fp16"]) == "fp16" }
        if let v = t["overlap"] { job.overlap = try v.bool() }
        if let v = t["on_nonfinite"] { job.onNonFinite = NonFinitePolicy(rawValue: try v.choice(NonFinitePolicy.allCases.map(\.rawValue)))! }
        if let v = t["timeline"] { job.timeline = try v.bool() }
        if let v = t["stop_after"] {
            job.stopAfter = try v.int(in: stopAfterRange, hint: "the epochs (evaluations, with job.steps) after which the run stops with a checkpoint")
        }
        if let v = t["bucket_kb"] { job.bucketBytes = try v.int(in: 1...1_048_576) * 1024 }
        if let v = t["sharded_update"] {
            job.shardedUpdate = try v.bool()
            if job.shardedUpdate && job.overlap {
                throw v.error("sharded_update and overlap cannot both be on",
                              hint: "the sharded update needs the gradients in one reduce-scatter after backward; set one of them to false")
            }
        } else if job.overlap {
            job.shardedUpdate = false   // the default gives way to an explicit overlap
        }
        if job.batchSize % (job.ranks * job.accumulate) != 0 {
            let at = t["batch_size"] ?? t["ranks"] ?? value
            throw at.error("batch_size \(job.batchSize) is not divisible by ranks × accumulate = \(job.ranks) × \(job.accumulate)",
                           hint: "the global batch is split evenly; try batch_size \(roundUp(job.batchSize, to: job.ranks * job.accumulate))")
        }
        return job
    }

    /// The training budget: `epochs` or `steps` (exactly one; neither keeps the default epochs),
    /// and `eval_every`, which counts steps. A key set to null counts as absent, so
    /// `--set job.epochs=null` clears a config's epochs for `--set job.steps=N`.
    static func parseBudget(_ t: ConfigTable, into job: inout TrainingJob) throws {
        let epochs = t["epochs"].flatMap { $0.isNull ? nil : $0 }
        let steps = t["steps"].flatMap { $0.isNull ? nil : $0 }
        if let epochs, steps != nil {
            throw epochs.error("job.epochs and job.steps are both set; a job's budget is one of them",
                               hint: "remove one of the two keys; on the command line, add --set job.epochs=null (or job.steps=null)")
        }
        if let epochs { job.epochs = try epochs.int(in: 1...100_000) }
        if let steps { job.steps = try steps.int(in: 1...1_000_000_000, hint: "optimizer steps to train") }
        if let v = t["eval_every"].flatMap({ $0.isNull ? nil : $0 }) {
            guard job.steps != nil else {
                throw v.error("eval_every counts optimizer steps, so it needs job.steps",
                              hint: "set job.steps instead of job.epochs, or remove eval_every (an epochs job validates after every epoch)")
            }
            job.evalEvery = try v.int(in: 1...1_000_000_000, hint: "steps between validations")
        }
    }

    private static func roundUp(_ n: Int, to m: Int) -> Int { (n + m - 1) / m * m }

    static func parseOptimizer(_ value: ConfigValue) throws -> OptimizerSpec {
        let t = try value.table(allowed: ["name", "lr", "momentum", "nesterov", "beta1", "beta2", "eps",
                                          "weight_decay", "decay", "l1", "clip_norm"])
        let kind = OptimizerKind(rawValue: try t["name"]?.choice(OptimizerKind.allCases.map(\.rawValue)) ?? "sgd")!
        var spec = OptimizerSpec(kind: kind, learningRate: kind == .sgd ? 0.05 : 0.001)
        if let v = t["lr"] {
            spec.learningRate = try v.double(in: 1e-12...100, hint: "a positive learning rate such as 0.01")
        }
        if let v = t["momentum"] { spec.momentum = try v.double(in: 0...0.999_999, hint: "from 0 up to (not including) 1") }
        if let v = t["nesterov"] {
            spec.nesterov = try v.bool()
            if spec.nesterov && spec.momentum == 0 { throw v.error("nesterov needs momentum > 0") }
        }
        if let v = t["beta1"] { spec.beta1 = try v.double(in: 0...0.999_999, hint: "from 0 up to (not including) 1") }
        if let v = t["beta2"] { spec.beta2 = try v.double(in: 0...0.999_999_9, hint: "from 0 up to (not including) 1") }
        if let v = t["eps"] { spec.epsilon = try v.double(in: 1e-30...1, hint: "a small positive number such as 1e-8") }
        if let v = t["weight_decay"] { spec.weightDecay = try v.double(in: 0...10) }
        if let v = t["decay"] {
            spec.decay = DecayScope(rawValue: try v.choice(DecayScope.allCases.map(\.rawValue)))!
            if spec.decay != .all && kind == .sgd {
                throw v.error("decay: \(spec.decay.rawValue) applies to adam and adamw", hint: "use name: adamw, or decay: all with sgd")
            }
        }
        if let v = t["l1"] { spec.l1 = try v.double(in: 0...10) }
        if let v = t["clip_norm"] { spec.clipNorm = try v.double(in: 1e-12...1e12, hint: "a positive maximum gradient norm") }
        return spec
    }

    static func parseCheckpoint(_ value: ConfigValue) throws -> CheckpointPolicy {
        let t = try value.table(allowed: ["every_steps", "every_seconds", "every_epoch", "at_end", "keep_last", "keep_best",
                                          "best_metric", "best_goal"])
        var policy = CheckpointPolicy()
        if let v = t["every_steps"] { policy.everySteps = try v.int(in: 0...100_000_000, hint: "steps between checkpoints; 0 turns it off") }
        // 0 (also 0s, 0m, 0h) turns it off, handled before the duration's own range of 1 s to 30 days.
        if let v = t["every_seconds"] { policy.everySeconds = try (try? v.duration(in: 0...0)) ?? v.duration() }
        if let v = t["every_epoch"] { policy.everyEpoch = try v.bool() }
        if let v = t["at_end"] { policy.atEnd = try v.bool() }
        if let v = t["keep_last"] { policy.keepLast = try v.int(in: 0...100_000) }
        if let v = t["keep_best"] { policy.keepBest = try v.int(in: 0...100_000) }
        if let v = t["best_metric"] {
            policy.bestMetric = try v.choice(["loss", "train_acc", "val_loss", "val_acc"])
            policy.bestGoal = MetricGoal.readsAsHigherIsBetter(policy.bestMetric) ? .max : .min
        }
        if let v = t["best_goal"] { policy.bestGoal = CheckpointPolicy.Goal(rawValue: try v.choice(["min", "max"]))! }
        return policy
    }

    static func parseSchedule(_ value: ConfigValue) throws -> ScheduleSpec {
        let t = try value.table(allowed: ["name", "warmup_steps", "step_size", "gamma", "min_lr"])
        var spec = ScheduleSpec()
        if let v = t["name"] { spec.kind = ScheduleKind(rawValue: try v.choice(ScheduleKind.allCases.map(\.rawValue)))! }
        if let v = t["warmup_steps"] { spec.warmupSteps = try v.int(in: 0...100_000_000) }
        if let v = t["step_size"] { spec.stepSize = try v.int(in: 1...100_000_000) }
        if let v = t["gamma"] { spec.gamma = try v.double(in: 1e-12...1, hint: "a decay factor in (0, 1]") }
        if let v = t["min_lr"] { spec.minLearningRate = try v.double(in: 0...100) }
        return spec
    }
}
