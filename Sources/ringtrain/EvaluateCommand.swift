// EvaluateCommand: `ringtrain evaluate RUN_DIR|CHECKPOINT_DIR` — the metrics of a saved model on
// the test split (or another split or file): accuracy, per-class precision/recall/F1, confusion.
import ArgumentParser
import Coordinator
import Foundation
import Logging
import Worker

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint (verified as for resume) on a data split or file.",
        discussion: "Examples: ringtrain evaluate runs/fashion-mlp-20261124-031500\n"
            + "          ringtrain evaluate runs/x/checkpoints/step-00000429 --data validation --json\n"
            + "Only checkpoints that verify are read, so a live run can be evaluated.\n"
            + "Exit codes: 0 done, 1 failed, 2 bad folder, data or checkpoint (none verifies).")

    @Argument(help: "A run folder (its newest valid checkpoint) or a checkpoints/step-NNNNNNNN folder.")
    var path: String

    @Option(help: "test (default), validation, train, or a file: a CSV like the run's, or IDX images (with --labels).")
    var data: String = "test"

    @Option(help: "The IDX labels file for --data IMAGES.")
    var labels: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        try exitOnUserError {
            let source: EvaluationData = ["test", "validation", "train"].contains(data)
                ? .split(data) : .file(path: data, labels: labels)
            let evaluation = try CheckpointEvaluation.run(path: path, data: source)
            for skipped in evaluation.skipped {
                Log.logger.notice("skipped checkpoint \(skipped.name) (\(skipped.reason)); evaluating the newest one that verifies, \(evaluation.checkpoint)")
            }
            if evaluation.nonFiniteWeights > 0 {
                Log.logger.warning("\(evaluation.nonFiniteWeights) of the checkpoint's \(evaluation.weightCount) weights are not finite (NaN or infinity), so these metrics mean nothing; the run diverged before this checkpoint")
            }
            if json {
                print(jsonLine(evaluation.json))
                return
            }
            let r = evaluation.result
            print("\(evaluation.checkpoint) (step \(evaluation.step)) on \(evaluation.dataName): \(r.count) samples, loss "
                  + String(format: "%.4f", r.loss) + (r.accuracy.map { String(format: ", accuracy %.4f", $0) } ?? "")
                  + (r.bitsPerByte.map { String(format: ", bpb %.4f", $0) } ?? ""))
            if let c = r.classification, r.bitsPerByte == nil { print(c.report(classNames: evaluation.classNames)) }
            if let m = r.regression { print(String(format: "mse %.5g  mae %.5g", m.mse, m.mae)) }
        }
    }
}
