// ReportWindow: a rank's training figures since the last metrics line (loss sum and count, steps,
// correct predictions), and their totals across ranks as a checkpoint carries them.
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
    /// Training predictions in the window that matched their label, over all ranks (what
    /// `train_acc` counts; 0 for regression; default 0).
    public var correct: Int = 0
    /// Training predictions in the window, over all ranks (default 0).
    public var predictions: Int = 0

    /// Totals as given (each default 0).
    public init(lossSum: Double = 0, lossCount: Int = 0, steps: Int = 0, correct: Int = 0, predictions: Int = 0) {
        (self.lossSum, self.lossCount, self.steps, self.correct, self.predictions) = (lossSum, lossCount, steps, correct, predictions)
    }

    enum CodingKeys: String, CodingKey {
        case lossSum = "loss_sum", lossCount = "loss_count", steps, correct, predictions
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

    /// A window continuing from `totals` (rank 0 of a resumed run; other ranks start empty). The
    /// training accuracy is all a window reports of its predictions, so the correct ones are
    /// recorded as class 0 predicted 0 and the others as class 0 predicted 1.
    init(task: LearningTask, continuing totals: ReportWindowTotals) {
        self.init(task: task)
        (lossSum, lossCount, steps) = (totals.lossSum, Double(totals.lossCount), totals.steps)
        if let classes = metrics?.classes, totals.predictions > 0 {
            var counts = [Double](repeating: 0, count: classes * classes)
            counts[0] = Double(totals.correct)
            if classes > 1 { counts[1] = Double(totals.predictions - totals.correct) }
            metrics = ClassificationMetrics(classes: classes, counts: counts)
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
