// ResolvedConfig: writes a job back out as YAML with every default filled in (resolved.yaml,
// a trial's config.yaml), so a run folder says exactly what ran and can be run again as is.
import Foundation
import Model
import Worker

/// A YAML value in a fixed key order.
indirect enum YAMLTree {
    case scalar(String)
    case list([YAMLTree])
    case map([(String, YAMLTree)])

    static func string(_ s: String) -> YAMLTree {
        let data = try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        let json = data.flatMap { String(data: $0, encoding: .utf8) } ?? "[\"\"]"
        return .scalar(String(json.dropFirst().dropLast()))
    }
    static func number<T: CustomStringConvertible>(_ n: T) -> YAMLTree { .scalar(n.description) }
    static func numbers(_ ns: [Int]) -> YAMLTree { .list(ns.map { .scalar(String($0)) }) }

    /// Block-style YAML; short scalar lists stay on one line.
    func render(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent)
        switch self {
        case .scalar(let s): return s
        case .list(let items):
            if items.allSatisfy({ if case .scalar = $0 { return true } else { return false } }) {
                return "[" + items.map { $0.render() }.joined(separator: ", ") + "]"
            }
            return items.map { "\n\(pad)- " + $0.render(indent: indent + 1).trimmingCharacters(in: .whitespacesAndNewlines) }.joined()
        case .map(let pairs):
            return pairs.map { key, value in
                switch value {
                case .map: return "\n\(pad)\(key):" + value.render(indent: indent + 1)
                case .list(let items) where !items.allSatisfy({ if case .scalar = $0 { return true } else { return false } }):
                    return "\n\(pad)\(key):" + value.render(indent: indent + 1)
                default: return "\n\(pad)\(key): " + value.render(indent: indent + 1)
                }
            }.joined()
        }
    }
}

/// Renders jobs as YAML that `JobParser` reads back to the same job.
public enum ResolvedConfig {
    /// A short stable hash of the job (FNV-1a of its resolved YAML): checkpoints record it, and
    /// resuming under a different one says the config changed.
    public static func hash(job: TrainingJob) -> String { fnv1a(yaml(job: job)) }

    /// FNV-1a (64-bit) of a text, in hex: a short stable fingerprint of a config.
    public static func fnv1a(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return String(h, radix: 16)
    }

    /// The `job:` section for `job`, every field explicit.
    public static func yaml(job: TrainingJob, cluster: ClusterSpec? = nil) -> String {
        var top: [(String, YAMLTree)] = []
        if let cluster { top.append(("cluster", tree(cluster))) }
        top.append(("job", tree(job)))
        return YAMLTree.map(top).render().trimmingCharacters(in: .newlines) + "\n"
    }

    static func tree(_ job: TrainingJob) -> YAMLTree {
        var pairs: [(String, YAMLTree)] = [
            ("name", .string(job.name)), ("seed", .number(job.seed)), ("dataset", tree(job.dataset)),
            ("model", tree(job.model)),
        ]
        if let loss = job.loss { pairs.append(("loss", .scalar(loss.rawValue))) }
        let o = job.optimizer
        var optimizer: [(String, YAMLTree)] = [("name", .scalar(o.kind.rawValue)), ("lr", .number(o.learningRate))]
        if o.kind == .sgd {
            optimizer += [("momentum", .number(o.momentum)), ("nesterov", .number(o.nesterov))]
        } else {
            optimizer += [("beta1", .number(o.beta1)), ("beta2", .number(o.beta2)), ("eps", .number(o.epsilon))]
        }
        optimizer += [("weight_decay", .number(o.weightDecay)), ("decay", .scalar(o.decay.rawValue)), ("l1", .number(o.l1))]
        if let c = o.clipNorm { optimizer.append(("clip_norm", .number(c))) }
        let s = job.schedule
        pairs += [
            ("optimizer", .map(optimizer)),
            ("schedule", .map([("name", .scalar(s.kind.rawValue)), ("warmup_steps", .number(s.warmupSteps)),
                               ("step_size", .number(s.stepSize)), ("gamma", .number(s.gamma)),
                               ("min_lr", .number(s.minLearningRate))])),
            ("batch_size", .number(job.batchSize)), ("epochs", .number(job.epochs)), ("ranks", .number(job.ranks)),
            ("accumulate", .number(job.accumulate)), ("tail", .scalar(job.tail.rawValue)),
            ("evaluation_batch", .number(job.evaluationBatch)),
            ("gradient_compression", .scalar(job.fp16Gradients ? "fp16" : "none")),
            ("overlap", .number(job.overlap)), ("bucket_kb", .number(job.bucketBytes / 1024)),
            ("sharded_update", .number(job.shardedUpdate)),
            ("checkpoint", .map([("every_steps", .number(job.checkpoint.everySteps)),
                                 ("every_epoch", .number(job.checkpoint.everyEpoch)),
                                 ("at_end", .number(job.checkpoint.atEnd)),
                                 ("keep_last", .number(job.checkpoint.keepLast)),
                                 ("keep_best", .number(job.checkpoint.keepBest)),
                                 ("best_metric", .scalar(job.checkpoint.bestMetric)),
                                 ("best_goal", .scalar(job.checkpoint.bestGoal.rawValue))])),
        ]
        return .map(pairs)
    }

    static func tree(_ model: ModelSpec) -> YAMLTree {
        if model.kind == .layers { return .map([("layers", .list(model.layers.map(tree)))]) }
        var pairs: [(String, YAMLTree)] = [("type", .scalar(model.kind.rawValue))]
        if model.kind != .logistic { pairs.append(("hidden", .numbers(model.hidden))) }
        pairs += [("activation", .scalar(model.activation.rawValue)), ("dropout", .number(model.dropout))]
        if model.kind == .cnn { pairs += [("channels", .numbers(model.channels)), ("kernel", .number(model.kernel))] }
        return .map(pairs)
    }

    static func tree(_ layer: LayerSpec) -> YAMLTree {
        var pairs: [(String, YAMLTree)] = [("type", .scalar(layer.typeName))]
        if let name = layer.name { pairs.append(("name", .string(name))) }
        switch layer.kind {
        case .dense(let units, let initRule):
            pairs.append(("units", .number(units)))
            if let initRule { pairs.append(("init", .scalar(initRule.rawValue))) }
        case .tiedDense(let embedding):
            pairs.append(("tied_to", .string(embedding)))
        case .conv2d(let channels, let kernel, let stride, let padding):
            pairs += [("channels", .number(channels)), ("kernel", .number(kernel)), ("stride", .number(stride)), ("padding", .number(padding))]
        case .maxPool(let window, let stride), .avgPool(let window, let stride):
            pairs.append(("window", .number(window)))
            if let stride { pairs.append(("stride", .number(stride))) }
        case .dropout(let rate): pairs.append(("rate", .number(rate)))
        case .activation(let function): pairs.append(("function", .scalar(function.rawValue)))
        case .residual(let inner): pairs.append(("layers", .list(inner.map(tree))))
        case .embedding(let vocab, let dim): pairs += [("vocab", .number(vocab)), ("dim", .number(dim))]
        case .attention(let heads, let causal): pairs += [("heads", .number(heads)), ("causal", .scalar(String(causal)))]
        case .transformerBlock(let heads, let mlp, let causal, let activation):
            pairs += [("heads", .number(heads)), ("mlp", .number(mlp)), ("causal", .scalar(String(causal))),
                      ("activation", .scalar(activation.rawValue))]
        case .globalAvgPool, .flatten, .layerNorm, .positionEmbedding: break
        }
        return .map(pairs)
    }

    static func tree(_ data: DatasetSpec) -> YAMLTree {
        var pairs: [(String, YAMLTree)] = []
        switch data.source {
        case .idx(let trainImages, let trainLabels, let testImages, let testLabels):
            pairs += [("format", .scalar("idx")), ("train_images", .string(trainImages)), ("train_labels", .string(trainLabels))]
            if let testImages, let testLabels {
                pairs += [("test_images", .string(testImages)), ("test_labels", .string(testLabels))]
            }
        case .csv(let train, let test, let labels, let task):
            pairs += [("format", .scalar("csv")), ("train", .string(train))]
            if let test { pairs.append(("test", .string(test))) }
            pairs += [("label", .list(labels.map(YAMLTree.string))), ("task", .scalar(task.rawValue))]
        case .arrays(let train, let test, let task):
            let npz = train.features.name != nil
            func pair(_ p: DatasetSpec.ArrayPair) -> YAMLTree {
                npz ? .map([("file", .string(p.features.path)), ("features", .string(p.features.name ?? "x")),
                            ("labels", .string(p.labels.name ?? "y"))])
                    : .map([("features", .string(p.features.path)), ("labels", .string(p.labels.path))])
            }
            pairs += [("format", .scalar(npz ? "npz" : "npy")), ("train", pair(train))]
            if let test { pairs.append(("test", pair(test))) }
            pairs.append(("task", .scalar(task.rawValue)))
        case .text(let train, let test, let context):
            pairs += [("format", .scalar("text")), ("path", .string(train)), ("context", .number(context))]
            if let test { pairs.append(("test", .string(test))) }
        }
        switch data.validation {
        case .count(let n): pairs.append(("validation", .number(n)))
        case .fraction(let f): pairs.append(("validation", .number(f)))
        }
        if let subset = data.subset { pairs.append(("subset", .number(subset))) }
        pairs.append(("normalize", .scalar(data.normalization.rawValue)))
        if let classes = data.classes { pairs.append(("classes", .number(classes))) }
        return .map(pairs)
    }

    static func tree(_ cluster: ClusterSpec) -> YAMLTree {
        var pairs: [(String, YAMLTree)] = []
        if !cluster.hosts.isEmpty {
            pairs.append(("hosts", .list(cluster.hosts.map { .map([("host", .string($0.host)), ("slots", .number($0.slots))]) })))
        }
        if let hostfile = cluster.hostfile { pairs.append(("hostfile", .string(hostfile))) }
        pairs += [("launcher", .scalar(cluster.launcher.rawValue)),
                  ("mpirun_args", .list(cluster.mpirunArgs.map(YAMLTree.string)))]
        if !cluster.environment.isEmpty {
            pairs.append(("env", .map(cluster.environment.sorted { $0.key < $1.key }.map { ($0.key, YAMLTree.string($0.value)) })))
        }
        pairs.append(("oversubscribe", .number(cluster.oversubscribe)))
        if let network = cluster.network { pairs.append(("network", .string(network))) }
        pairs.append(("failure_timeout", .number(cluster.failureTimeout)))
        pairs.append(("stop_grace_period", .number(cluster.stopGracePeriod)))
        pairs.append(("preflight", .number(cluster.preflight)))
        return .map(pairs)
    }
}
