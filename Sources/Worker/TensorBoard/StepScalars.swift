// StepScalars: TensorBoard's per-step curves — every K steps, the loss averaged over the ranks,
// the gradient norm, the learning rate, the throughput since the last point and the skipped
// steps — gathered in one small sum across ranks, written by rank 0.
import Collective
import Foundation

/// Writes `step/…` scalars every `every` steps. Collective: every rank must call `stepEnded`
/// after every step, and `restartClock` alike.
public final class StepScalars {
    /// Steps between two points.
    public static let every = 10
    private let trainer: Trainer
    private let events: EventFileWriter?
    /// Where the throughput is counted from (rank 0's clock).
    private var mark: (time: Double, step: Int)

    /// Points for `trainer`'s steps into `events` (rank 0's writer; nil on the other ranks).
    /// Asks the trainer to measure the gradient norm at those steps.
    public init(trainer: Trainer, events: EventFileWriter?) {
        self.trainer = trainer
        self.events = events
        mark = (Self.now(), trainer.position.globalStep)
        trainer.measuresGradientNormEvery = Self.every
    }

    /// After the step that reached `position`: every `every` steps, one sum across ranks and a point.
    public func stepEnded(at position: TrainingPosition) throws {
        guard position.globalStep % Self.every == 0 else { return }
        let group = trainer.collectives
        let sums = try group.sum([trainer.lastStepLoss, trainer.gradientSquaredNormShare])
        guard let events else { return }
        let now = Self.now()
        var values: [(tag: String, value: Float)] = [
            ("step/loss", Float(sums[0] / Double(group.size * trainer.job.accumulate))),
            ("step/grad_norm", Float(sums[1].squareRoot())),
            ("step/lr", Float(trainer.currentLearningRate)),
        ]
        let steps = position.globalStep - mark.step
        if steps > 0 && now > mark.time {
            values.append(("step/samples_per_s", Float(Double(steps * trainer.job.batchSize) / (now - mark.time))))
        }
        if trainer.job.fp16Gradients { values.append(("step/skipped_steps", Float(trainer.skippedSteps))) }
        events.scalars(values, step: position.globalStep)
        mark = (now, position.globalStep)
    }

    /// Counts throughput from now on (after an evaluation or a checkpoint, which are not steps).
    public func restartClock() {
        mark = (Self.now(), trainer.position.globalStep)
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
