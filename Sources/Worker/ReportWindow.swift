// ReportWindow: a rank's training figures since the last metrics line (loss sum and count, steps,
// classification counts), and their totals across ranks as a checkpoint carries them.
import Foundation
import Model

/// The report window's figures summed across ranks: what state.json holds (format 3), so a run
/// resumed mid-epoch (or between evaluations) reports the lines an uninterrupted run reports.
public struct ReportWindowTotals: Codable, Sendable, Equatable {
    /// Sum of the training losses (each step's sum of micro-step mean losses, rounded to Float,
    /// so sums are exact and the order ranks add them in does not matter; default 0).
    public var lossSum: Double = 0
    /// Micro-steps the loss sum holds, over all ranks (default 0).
    public var lossCount: Int = 0
    /// Optimizer steps in the window (default 0).
    public var steps: Int = 0
    /// The flattened confusion matrix of the window's training predictions, over all ranks
    /// (classes × classes; empty for regression; default empty).
    public var counts: [Int] = []

    public init(lossSum: Double = 0, lossCount: Int = 0, steps: Int = 0, counts: [Int] = []) {
        (self.lossSum, self.lossCount, self.steps, self.counts) = (lossSum, lossCount, steps, counts)
    }

    enum CodingKeys: String, CodingKey {
        case lossSum = "loss_sum", lossCount = "loss_count", steps, counts
    }
}

/// This rank's training figures since the last report.
struct ReportWindow {
    var lossSum = 0.0, lossCount = 0.0, steps = 0
    var metrics: ClassificationMetrics?
    /// When timing started and the steps since then (throughput counts only steps trained here).
    var started = Date()
    var timedSteps = 0

    init(task: LearningTask) { metrics = task.classCount.map { ClassificationMetrics(classes: $0) } }

    /// A window continuing from `totals` (rank 0 of a resumed run; other ranks start empty).
    /// Counts that do not fit the task's classes are left out (checked on load).
    init(task: LearningTask, continuing totals: ReportWindowTotals) {
        self.init(task: task)
        (lossSum, lossCount, steps) = (totals.lossSum, Double(totals.lossCount), totals.steps)
        if let classes = metrics?.classes, totals.counts.count == classes * classes {
            metrics = ClassificationMetrics(classes: classes, counts: totals.counts.map(Double.init))
        }
    }

    /// Adds one optimizer step's loss sum over `microSteps` micro-steps.
    mutating func add(loss: Double, microSteps: Int) {
        lossSum += loss   // a Float value (`Trainer.step`), so the sum stays exact
        lossCount += Double(microSteps)
        steps += 1
        timedSteps += 1
    }
}
