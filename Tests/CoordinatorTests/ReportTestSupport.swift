// Report test support: a sweep run folder in a temp directory — cluster.yaml with a sweep section,
// a small CSV dataset, and a real sweep.sqlite filled through SweepStore as the runner would.
import Foundation
@testable import Coordinator

/// A run folder under construction.
struct ReportFixture {
    let directory: String
    let store: SweepStore

    /// A job on a 3-row CSV (the data sits in the run folder, so relative paths resolve).
    static let job = "job:\n  dataset:\n    train: train.csv\n    label: label\n  epochs: 3\n"

    /// Creates a fresh run folder holding `job` + `sweep` as cluster.yaml and an empty store.
    init(sweep: String, job: String = ReportFixture.job) throws {
        directory = NSTemporaryDirectory() + "ringtrain-report-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "a,b,label\n1,2,x\n3,4,y\n5,6,x\n".write(toFile: directory + "/train.csv", atomically: false, encoding: .utf8)
        try (job + sweep).write(toFile: directory + "/cluster.yaml", atomically: false, encoding: .utf8)
        store = try SweepStore.create(path: directory + "/sweep.sqlite")
    }

    /// Adds one trial and drives it to `status`: `curve` values are recorded as epochs 1, 2, ...
    /// of `metric`, or with `steps` as evaluations 1, 2, ... taken at those steps, as a steps-budget
    /// job's lines carry them; finished and stopped trials get `value` (default: the curve's last value).
    @discardableResult
    func add(_ configuration: Configuration, status: TrialStatus, metric: String = "val_loss", value: Double? = nil,
             curve: [Double] = [], steps: [Int]? = nil, finalMetrics: [String: Double] = [:], error: String? = nil) throws -> Int {
        let id = try store.addTrials([configuration])[0]
        if status == .pending { return id }
        try store.markRunning(id)
        for (i, v) in curve.enumerated() {
            var line = [metric: v, "loss": v * 2]
            if let steps { (line["evaluation"], line["step"]) = (Double(i + 1), Double(steps[i])) }
            try store.recordEpoch(id, epoch: i + 1, metrics: line)
        }
        switch status {
        case .finished, .stopped:
            try store.finish(id, status: status, metric: value ?? curve.last, finalMetrics: finalMetrics)
        case .failed:
            try store.fail(id, error: error ?? "worker exited with status 1")
        default:
            break
        }
        return id
    }

    func results() throws -> SweepResults { try SweepResults.load(runDirectory: directory) }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A sweep over learning rate (log-uniform), hidden sizes (lists) and activation.
func reportSweep(goal: MetricGoal = .minimize, metric: String = "val_loss") -> String {
    """
    sweep:
      method: random
      run_cap: 50
      metric: {name: \(metric), goal: \(goal.rawValue)}
      parameters:
        optimizer.lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
        model.hidden: {values: [[512, 256], [64]]}
        model.activation: {values: [relu, tanh]}

    """
}
