// TrainingSession: one rank's whole run — load the data, build the trainer, train, evaluate on
// the test split — with rank 0 printing epoch lines (or JSON) and appending metrics.jsonl.
import Foundation
import Model

/// Runs a job on this rank and reports as rank 0.
public final class TrainingSession {
    public let job: TrainingJob
    public let group: ProcessGroup
    /// Run folder for metrics.jsonl (rank 0 writes it); nil writes no files.
    public let runDirectory: String?
    /// Print one JSON object per epoch instead of text lines.
    public let json: Bool
    private let console: Console
    /// Test hook: this rank fails once it reaches this global step, as `failure` says.
    public var failAtStep: Int?
    /// How the test hook fails: throw an error, die by SIGKILL, or hang forever.
    public enum InjectedFailure: String, Sendable { case error, kill, hang }
    public var failure = InjectedFailure.error
    /// The trainer of the last `run()`.
    public private(set) var trainer: Trainer?

    public init(job: TrainingJob, group: ProcessGroup, runDirectory: String?, json: Bool) {
        self.job = job
        self.group = group
        self.runDirectory = runDirectory
        self.json = json
        console = Console(enabled: group.rank == 0)
    }

    /// Trains and evaluates; returns the final report (identical on every rank).
    @discardableResult
    public func run() throws -> FinalReport {
        let loadStart = Date()
        let data = try DatasetLoader.load(job.dataset, seed: job.seed)
        let trainer = try Trainer(job: job, data: data, group: group)
        self.trainer = trainer
        let metricsFile = try openMetrics()
        defer { try? metricsFile?.close() }

        let inputs = data.train.featureCount, outputs = trainer.network.outputWidth
        if !json {
            console.line("\(job.name): \(job.model.summary(inputs: inputs, outputs: outputs)), \(trainer.network.store.count) parameters; "
                + "\(data.train.count) train / \(data.validation?.count ?? 0) validation / \(data.test?.count ?? 0) test samples "
                + "(loaded in \(String(format: "%.1f", Date().timeIntervalSince(loadStart))) s); "
                + "\(group.size) rank\(group.size == 1 ? "" : "s"), global batch \(job.batchSize), \(job.optimizer.kind.rawValue) lr \(job.optimizer.learningRate)")
        }
        let progress = ProgressBar(enabled: group.rank == 0 && !json && isatty(STDERR_FILENO) == 1)
        trainer.onStep = { position, steps in progress.update(epoch: position.epoch + 1, step: position.stepInEpoch, of: steps) }
        if let failAtStep { trainer.shouldStop = { trainer.position.globalStep >= failAtStep } }

        var throughputs: [Double] = []
        let completed = try trainer.train { report in
            progress.clear()
            throughputs.append(report.samplesPerSecond)
            let line = jsonLine(report.json)
            if json { console.line(line) } else { console.line(Self.describe(report, epochs: job.epochs)) }
            try metricsFile?.write(contentsOf: Data((line + "\n").utf8))
        }
        if !completed, let failAtStep {
            switch failure {
            case .error: throw TrainingError("injected failure at step \(failAtStep) (test hook --fail-step)")
            case .kill: kill(getpid(), SIGKILL)
            case .hang: while true { sleep(60) }
            }
        }
        let test = try data.test.map { try trainer.evaluate($0) }
        let final = FinalReport(epochs: trainer.position.epoch, step: trainer.position.globalStep, test: test,
                                validation: nil,
                                samplesPerSecond: throughputs.isEmpty ? 0 : throughputs.reduce(0, +) / Double(throughputs.count))
        let finalLine = jsonLine(final.json)
        try metricsFile?.write(contentsOf: Data((finalLine + "\n").utf8))
        if json {
            console.line(finalLine)
        } else if let test {
            console.line(String(format: "test: loss %.4f", test.loss) + (test.accuracy.map { String(format: "  accuracy %.4f", $0) } ?? "")
                         + (test.regression.map { String(format: "  mse %.4f  mae %.4f", $0.mse, $0.mae) } ?? ""))
            if let c = test.classification { console.line(c.report(classNames: data.test?.classNames ?? data.train.classNames)) }
        }
        return final
    }

    private func openMetrics() throws -> FileHandle? {
        guard group.rank == 0, let runDirectory else { return nil }
        let path = runDirectory + "/metrics.jsonl"
        try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw TrainingError("cannot write \(path)")
        }
        try handle.seekToEnd()
        return handle
    }

    /// One human-readable epoch line.
    static func describe(_ r: EpochReport, epochs: Int) -> String {
        var parts = ["epoch \(r.epoch)/\(epochs)", "step \(r.step)", String(format: "loss %.4f", r.loss)]
        if let a = r.trainAccuracy { parts.append(String(format: "train_acc %.4f", a)) }
        if let l = r.validationLoss { parts.append(String(format: "val_loss %.4f", l)) }
        if let a = r.validationAccuracy { parts.append(String(format: "val_acc %.4f", a)) }
        parts.append(String(format: "%.0f samples/s", r.samplesPerSecond))
        parts.append(String(format: "lr %.4g", r.learningRate))
        parts.append(String(format: "%.1fs", r.seconds))
        return parts.joined(separator: "  ")
    }
}

/// Standard output for rank 0 only, flushed per line (mpirun forwards it as it comes).
struct Console {
    let enabled: Bool
    func line(_ text: String) {
        guard enabled else { return }
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
