// ProgressBar: a one-line progress bar on standard error, redrawn in place, for terminals only
// (never in files, pipes or JSON mode); redrawn at most ten times a second.
import Foundation

/// Shows `epoch E [#####.....] step/steps` on stderr when enabled; for a job budgeted in steps,
/// `step [#####.....] step/steps` over the whole budget.
final class ProgressBar {
    private let enabled: Bool
    private var lastDraw = Date.distantPast

    init(enabled: Bool) { self.enabled = enabled }

    /// Redraws for `position`, `steps` being the steps of its epoch or, with `budgetInSteps`, of the budget.
    func update(_ position: TrainingPosition, of steps: Int, budgetInSteps: Bool) {
        guard enabled, steps > 0 else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || position.stepInEpoch == steps else { return }
        lastDraw = now
        FileHandle.standardError.writeText("\r" + Self.line(position, of: steps, budgetInSteps: budgetInSteps))
    }

    /// The bar's text for `position`, as `update` draws it.
    static func line(_ position: TrainingPosition, of steps: Int, budgetInSteps: Bool) -> String {
        let step = min(position.stepInEpoch, steps)
        let width = 30, filled = width * step / steps
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return (budgetInSteps ? "step" : "epoch \(position.epoch + 1)") + " [\(bar)] \(step)/\(steps)"
    }

    func clear() {
        guard enabled else { return }
        FileHandle.standardError.writeText("\r\u{1B}[K")
    }
}
