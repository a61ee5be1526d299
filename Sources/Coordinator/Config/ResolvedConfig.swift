// ResolvedConfig: writes a job back out as YAML with every default filled in (resolved.yaml,
// a trial's config.yaml), and the config hash checkpoints record, taken from a canonical form.
import Foundation
import Model
import Worker
import Yams

/// A config value in a fixed key order, before it becomes YAML (or canonical JSON for the hash).
indirect enum YAMLTree {
    /// Text the user chose (names, paths): always quoted, so it reads back as a string.
    case string(String)
    /// A number, boolean or keyword, written plain.
    case plain(String)
    case list([YAMLTree])
    case map([(String, YAMLTree)])

    static func number<T: CustomStringConvertible>(_ n: T) -> YAMLTree { .plain(n.description) }
    static func numbers(_ ns: [Int]) -> YAMLTree { .list(ns.map(number)) }

    /// The Yams node: mappings keep this key order; lists of scalars are written on one line.
    var node: Node {
        switch self {
        case .string(let s): return .scalar(.init(s, .implicit, .doubleQuoted))
        case .plain(let s): return .scalar(.init(s, .implicit, .plain))
        case .list(let items):
            let flat = items.allSatisfy { if case .list = $0 { return false }; if case .map = $0 { return false }; return true }
            return .sequence(.init(items.map(\.node), .implicit, flat ? .flow : .block))
        case .map(let pairs):
            return .mapping(.init(pairs.map { (Node.scalar(.init($0.0)), $0.1.node) }, .implicit, .block))
        }
    }

    /// The value as JSON-ready Foundation objects: plain scalars become numbers or booleans
    /// when they read as one, everything else a string.
    var jsonObject: Any {
        switch self {
        case .string(let s): return s
        case .plain(let s):
            if let i = Int(s) { return i }
            if let d = Double(s), d.isFinite { return d }
            if s == "true" || s == "false" { return s == "true" }
            return s
        case .list(let items): return items.map(\.jsonObject)
        case .map(let pairs): return Dictionary(pairs.map { ($0.0, $0.1.jsonObject) }) { first, _ in first }
        }
    }
}

/// Renders jobs as YAML that `JobParser` reads back to the same job, and fingerprints them.
public enum ResolvedConfig {
    /// The prefix of hashes in the current form; a hash without it was recorded by an earlier
    /// version (FNV-1a of that version's YAML text) and cannot be compared with this one.
    public static let hashPrefix = "v2-"

    /// The config hash checkpoints record: `v2-` and the FNV-1a (64-bit, hex) of
    /// `canonicalJSON(job:)`. Resuming under a different hash says the config changed; how the
    /// YAML is laid out never changes it.
    public static func hash(job: TrainingJob) -> String {
        var job = job
        job.timeline = false   // recording a timeline changes no result: turning it on is no config change
        job.stopAfter = nil    // nor does where a run stops to be resumed
        return hashPrefix + FNV1a.hex(canonicalJSON(job: job))
    }

    /// The canonical form of a job: its resolved tree (every default filled in) as compact JSON
    /// with sorted keys, numbers and booleans typed. Equal jobs give equal text.
    public static func canonicalJSON(job: TrainingJob) -> String {
        var object = tree(job).jsonObject
        // The default policy is left out: a job that does not set the key hashes as one that cannot.
        if job.onNonFinite == .stop, var fields = object as? [String: Any] {
            fields["on_nonfinite"] = nil
            object = fields
        }
        // So is checkpoint.every_seconds when off, for the same reason.
        if job.checkpoint.everySeconds == 0, var fields = object as? [String: Any], var checkpoint = fields["checkpoint"] as? [String: Any] {
            checkpoint["every_seconds"] = nil
            fields["checkpoint"] = checkpoint
            object = fields
        }
        // And the timeline when off (the hash leaves it out always: it changes no result).
        if !job.timeline, var fields = object as? [String: Any] {
            fields["timeline"] = nil
            object = fields
        }
        // Where this invocation stops goes to the ranks, never into a run's resolved.yaml: a
        // resume goes on to the end unless told otherwise.
        if let stopAfter = job.stopAfter, var fields = object as? [String: Any] {
            fields["stop_after"] = stopAfter
            object = fields
        }
        return canonicalText(object)
    }

    /// The canonical form of a `cluster` section, written as the job's is: what rank 0 sends
    /// the other ranks beside the job (they read `failure_timeout` and the like from it).
    public static func canonicalJSON(cluster: ClusterSpec) -> String { canonicalText(tree(cluster).jsonObject) }

    /// Compact JSON with sorted keys.
    private static func canonicalText(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            preconditionFailure("a config tree is always valid JSON")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The `job:` section for `job`, every field explicit; with `cluster`, a `cluster:` section first.
    public static func yaml(job: TrainingJob, cluster: ClusterSpec? = nil) -> String {
        var top: [(String, YAMLTree)] = []
        if let cluster { top.append(("cluster", tree(cluster))) }
        top.append(("job", tree(job)))
        do {
            return try Yams.serialize(node: YAMLTree.map(top).node, width: -1, allowUnicode: true)
        } catch {
            preconditionFailure("Yams cannot write a config tree: \(error)")
        }
    }

    static func tree(_ job: TrainingJob) -> YAMLTree {
        var pairs: [(String, YAMLTree)] = [
            ("name", .string(job.name)), ("seed", .number(job.seed)), ("dataset", tree(job.dataset)),
            ("model", tree(job.model)),
        ]
        if let loss = job.loss { pairs.append(("loss", .plain(loss.rawValue))) }
        let o = job.optimizer
        var optimizer: [(String, YAMLTree)] = [("name", .plain(o.kind.rawValue)), ("lr", .number(o.learningRate))]
        if o.kind == .sgd {
            optimizer += [("momentum", .number(o.momentum)), ("nesterov", .number(o.nesterov))]
        } else {
            optimizer += [("beta1", .number(o.beta1)), ("beta2", .number(o.beta2)), ("eps", .number(o.epsilon))]
        }
        optimizer += [("weight_decay", .number(o.weightDecay)), ("decay", .plain(o.decay.rawValue)), ("l1", .number(o.l1))]
        if let c = o.clipNorm { optimizer.append(("clip_norm", .number(c))) }
        let s = job.schedule
        pairs += [
            ("optimizer", .map(optimizer)),
            ("schedule", .map([("name", .plain(s.kind.rawValue)), ("warmup_steps", .number(s.warmupSteps)),
                               ("step_size", .number(s.stepSize)), ("gamma", .number(s.gamma)),
                               ("min_lr", .number(s.minLearningRate))])),
            ("batch_size", .number(job.batchSize)),
        ]
        if let steps = job.steps {   // a steps budget replaces epochs
            pairs.append(("steps", .number(steps)))
            if let every = job.evalEvery { pairs.append(("eval_every", .number(every))) }
        } else {
            pairs.append(("epochs", .number(job.epochs)))
        }
        pairs += [
            ("ranks", .number(job.ranks)),
            ("accumulate", .number(job.accumulate)), ("tail", .plain(job.tail.rawValue)),
            ("evaluation_batch", .number(job.evaluationBatch)),
            ("gradient_compression", .plain(job.fp16Gradients ? "fp16" : "none")),
            ("overlap", .number(job.overlap)), ("bucket_kb", .number(job.bucketBytes / 1024)),
            ("sharded_update", .number(job.shardedUpdate)), ("on_nonfinite", .plain(job.onNonFinite.rawValue)),
            ("timeline", .number(job.timeline)),
            ("checkpoint", .map([("every_steps", .number(job.checkpoint.everySteps)),
                                 ("every_seconds", seconds(job.checkpoint.everySeconds)),
                                 ("every_epoch", .number(job.checkpoint.everyEpoch)),
                                 ("at_end", .number(job.checkpoint.atEnd)),
                                 ("keep_last", .number(job.checkpoint.keepLast)),
                                 ("keep_best", .number(job.checkpoint.keepBest)),
                                 ("best_metric", .plain(job.checkpoint.bestMetric)),
                                 ("best_goal", .plain(job.checkpoint.bestGoal.rawValue))])),
        ]
        return .map(pairs)
    }

    /// A duration in seconds, whole ones written as integers (`30`, not `30.0`).
    static func seconds(_ value: Double) -> YAMLTree {
        value == value.rounded() && abs(value) < 1e15 ? .number(Int(value)) : .number(value)
    }

    static func tree(_ model: ModelSpec) -> YAMLTree {
        if model.kind == .layers { return .map([("layers", .list(model.layers.map(tree)))]) }
        var pairs: [(String, YAMLTree)] = [("type", .plain(model.kind.rawValue))]
        if model.kind != .logistic { pairs.append(("hidden", .numbers(model.hidden))) }
        pairs += [("activation", .plain(model.activation.rawValue)), ("dropout", .number(model.dropout))]
        if model.kind == .cnn { pairs += [("channels", .numbers(model.channels)), ("kernel", .number(model.kernel))] }
        return .map(pairs)
    }

    /// A declared layer: `type`, `name`, then each option it holds in its declaration's order.
    static func tree(_ layer: LayerSpec) -> YAMLTree {
        var pairs: [(String, YAMLTree)] = [("type", .plain(layer.typeName))]
        if let name = layer.name { pairs.append(("name", .string(name))) }
        for option in layer.kind.type.options {
            guard let value = layer.kind.options[option.key], !(option.omitsDefault && value == option.defaultValue) else { continue }
            switch value {
            case .int(let n): pairs.append((option.key, .number(n)))
            case .double(let d): pairs.append((option.key, .number(d)))
            case .bool(let b): pairs.append((option.key, .plain(String(b))))
            case .text(let text):   // a keyword is written plain, a user's name quoted
                if case .text = option.type { pairs.append((option.key, .string(text))) } else { pairs.append((option.key, .plain(text))) }
            case .layers(let inner): pairs.append((option.key, .list(inner.map(tree))))
            }
        }
        return .map(pairs)
    }

    static func tree(_ data: DatasetSpec) -> YAMLTree {
        var pairs: [(String, YAMLTree)] = []
        switch data.source {
        case .idx(let trainImages, let trainLabels, let testImages, let testLabels):
            pairs += [("format", .plain("idx")), ("train_images", .string(trainImages)), ("train_labels", .string(trainLabels))]
            if let testImages, let testLabels {
                pairs += [("test_images", .string(testImages)), ("test_labels", .string(testLabels))]
            }
        case .csv(let train, let test, let labels, let task):
            pairs += [("format", .plain("csv")), ("train", .string(train))]
            if let test { pairs.append(("test", .string(test))) }
            pairs += [("label", .list(labels.map(YAMLTree.string))), ("task", .plain(task.rawValue))]
        case .arrays(let train, let test, let task):
            let npz = train.features.name != nil
            func pair(_ p: DatasetSpec.ArrayPair) -> YAMLTree {
                npz ? .map([("file", .string(p.features.path)), ("features", .string(p.features.name ?? "x")),
                            ("labels", .string(p.labels.name ?? "y"))])
                    : .map([("features", .string(p.features.path)), ("labels", .string(p.labels.path))])
            }
            pairs += [("format", .plain(npz ? "npz" : "npy")), ("train", pair(train))]
            if let test { pairs.append(("test", pair(test))) }
            pairs.append(("task", .plain(task.rawValue)))
        case .text(let train, let test, let context):
            pairs += [("format", .plain("text")), ("path", .string(train)), ("context", .number(context))]
            if let test { pairs.append(("test", .string(test))) }
        }
        switch data.validation {
        case .count(let n): pairs.append(("validation", .number(n)))
        case .fraction(let f): pairs.append(("validation", .number(f)))
        }
        if let subset = data.subset { pairs.append(("subset", .number(subset))) }
        pairs.append(("normalize", .plain(data.normalization.rawValue)))
        if let classes = data.classes { pairs.append(("classes", .number(classes))) }
        return .map(pairs)
    }

    static func tree(_ cluster: ClusterSpec) -> YAMLTree {
        var pairs: [(String, YAMLTree)] = []
        if !cluster.hosts.isEmpty {
            pairs.append(("hosts", .list(cluster.hosts.map { .map([("host", .string($0.host)), ("slots", .number($0.slots))]) })))
        }
        if let hostfile = cluster.hostfile { pairs.append(("hostfile", .string(hostfile))) }
        pairs += [("launcher", .plain(cluster.launcher.rawValue)),
                  ("mpirun_args", .list(cluster.mpirunArgs.map(YAMLTree.string)))]
        if !cluster.environment.isEmpty {
            pairs.append(("env", .map(cluster.environment.sorted { $0.key < $1.key }.map { ($0.key, YAMLTree.string($0.value)) })))
        }
        pairs.append(("oversubscribe", .number(cluster.oversubscribe)))
        if let network = cluster.network { pairs.append(("network", .string(network))) }
        pairs.append(("failure_timeout", .number(cluster.failureTimeout)))
        pairs.append(("stop_grace_period", .number(cluster.stopGracePeriod)))
        pairs.append(("preflight", .number(cluster.preflight)))
        pairs.append(("restarts", cluster.restarts.tree))
        pairs.append(("allreduce", .plain(cluster.allReduce.rawValue)))
        pairs.append(("shared_memory", .number(cluster.sharedMemory)))
        return .map(pairs)
    }
}
