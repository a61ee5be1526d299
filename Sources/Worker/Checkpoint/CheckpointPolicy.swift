// CheckpointPolicy: when to save a checkpoint (every K steps, every S seconds, every epoch, at the
// end) and which ones to keep (the newest N, plus the best N by a named metric; never the one `latest` names).

/// When checkpoints are written and which are kept.
public struct CheckpointPolicy: Sendable, Equatable, Codable {
    /// Whether a smaller or a larger metric is better.
    public enum Goal: String, Sendable, Codable { case min, max }

    /// Save every this many optimizer steps; 0 turns step-based saving off (default 0).
    public var everySteps: Int
    /// Save once this many seconds have passed since the last save (or since training started or
    /// resumed), on rank 0's monotonic clock; 0 turns time-based saving off (default 0). Rank 0
    /// decides and the decision travels with the step's gradient exchange, so every rank saves
    /// at the same step (`GradientExchange.markStopRequest(saveDue:)`).
    public var everySeconds: Double
    /// Save at the end of every epoch (default true; a job budgeted in steps has no epochs, so it
    /// saves by `everySteps` and `atEnd` only).
    public var everyEpoch: Bool
    /// Save when training ends, completed or interrupted (default true).
    public var atEnd: Bool
    /// Keep this many newest checkpoints (default 3; 0 keeps only `latest` and the best).
    public var keepLast: Int
    /// Also keep this many best checkpoints by `bestMetric` (default 0, off).
    public var keepBest: Int
    /// The metric `keepBest` ranks by, a key of `CheckpointState.metrics` (default `val_loss`).
    public var bestMetric: String
    /// Whether smaller or larger `bestMetric` is better (default `.min`).
    public var bestGoal: Goal

    public init(everySteps: Int = 0, everySeconds: Double = 0, everyEpoch: Bool = true, atEnd: Bool = true, keepLast: Int = 3,
                keepBest: Int = 0, bestMetric: String = "val_loss", bestGoal: Goal = .min) {
        precondition(everySteps >= 0 && keepLast >= 0 && keepBest >= 0, "checkpoint policy counts must be ≥ 0")
        precondition(everySeconds >= 0 && everySeconds.isFinite, "checkpoint.every_seconds must be ≥ 0")
        (self.everySteps, self.everySeconds, self.everyEpoch, self.atEnd) = (everySteps, everySeconds, everyEpoch, atEnd)
        (self.keepLast, self.keepBest, self.bestMetric, self.bestGoal) = (keepLast, keepBest, bestMetric, bestGoal)
    }

    /// Whether to save after the step that brought training to `position`.
    /// - Parameters:
    ///   - epochEnded: that step finished an epoch.
    ///   - trainingEnded: training stops after that step (all epochs done, or interrupted).
    ///   - timeDue: the ranks agreed in that step's exchange that `everySeconds` have passed
    ///     (`Trainer.saveAgreed`; default false).
    public func shouldSave(at position: TrainingPosition, epochEnded: Bool, trainingEnded: Bool, timeDue: Bool = false) -> Bool {
        (everySteps > 0 && position.globalStep > 0 && position.globalStep % everySteps == 0)
            || (everyEpoch && epochEnded) || (atEnd && trainingEnded) || timeDue
    }

    /// The checkpoints to keep among `checkpoints` (global step and metrics, by name): the
    /// `keepLast` highest steps, the `keepBest` best by `bestMetric` (NaN and missing values never
    /// count as best), and `latest` if given.
    public func retained(_ checkpoints: [(name: String, step: Int, metrics: [String: Double])],
                         latest: String?) -> Set<String> {
        var keep = Set(checkpoints.sorted { ($0.step, $0.name) > ($1.step, $1.name) }.prefix(keepLast).map(\.name))
        let ranked = checkpoints.compactMap { c -> (name: String, step: Int, value: Double)? in
            guard let value = c.metrics[bestMetric], !value.isNaN else { return nil }
            return (c.name, c.step, value)
        }.sorted { a, b in
            // Ties go to the newer checkpoint.
            a.value != b.value ? (bestGoal == .min ? a.value < b.value : a.value > b.value) : a.step > b.step
        }
        keep.formUnion(ranked.prefix(keepBest).map(\.name))
        if let latest { keep.insert(latest) }
        return keep
    }
}
