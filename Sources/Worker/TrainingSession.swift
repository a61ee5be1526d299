// TrainingSession: one rank's whole run — load the data, build the trainer, resume from the
// newest valid checkpoint if asked, train with checkpoints by policy (and on a stop signal),
// evaluate on the test split — with rank 0 printing, writing metrics.jsonl and checkpoints.
import Collective
import Logging
import Foundation
import Model

/// How a session ended.
public enum SessionOutcome: Sendable {
    /// All epochs trained; the final report (identical on every rank).
    case completed(FinalReport)
    /// Stopped early by a signal after saving a checkpoint at this global step.
    case interrupted(step: Int)
    /// Nothing to train: the run resumed had already finished at this global step and written
    /// its final line (which is kept, not written again).
    case alreadyFinished(step: Int)
}

/// Runs a job on this rank and reports as rank 0.
public final class TrainingSession {
    public let job: TrainingJob
    public let collectives: Collectives
    /// How this rank was started: run folder, resume, test hooks.
    public let options: RankOptions
    /// Run folder for metrics.jsonl and checkpoints (rank 0 writes them); nil writes no files.
    public var runDirectory: String? { options.runDirectory }
    /// Print one JSON object per epoch instead of text lines.
    public var json: Bool { options.json }
    /// Hash of the job, recorded in every checkpoint.
    public let configHash: String
    let console: Console
    /// Called on rank 0 once a resume has loaded its checkpoint (the run folder's config files
    /// are rewritten only then, so a refused resume changes nothing).
    let afterResume: (() throws -> Void)?
    /// Rank 0's metrics of the checkpoint resumed from (its last report's), for a final line
    /// written after resuming at the end of the budget.
    var resumedMetrics: [String: Double] = [:]
    /// The trainer of the last `run()`.
    public private(set) var trainer: Trainer?
    /// Where this run's config began, recorded in each checkpoint (rank 0's; see `ConfigStart`).
    var configStart: ConfigStart?
    /// This rank's timeline recorder (`job.timeline`), while `run()` trains.
    var timeline: TimelineRecorder?
    /// Rank 0's clock for `checkpoint.every_seconds` (nil when it is 0, on other ranks, and
    /// without a run folder), restarted when training starts and after every save.
    var saveTimer: SaveTimer?

    /// A session of `job` on this rank, as `options` say; `configHash` is recorded in every
    /// checkpoint, and `afterResume` (rank 0) runs once a resume has loaded its checkpoint.
    public init(job: TrainingJob, collectives: Collectives, options: RankOptions, configHash: String,
                afterResume: (() throws -> Void)? = nil) {
        self.job = job
        self.collectives = collectives
        self.options = options
        self.configHash = configHash
        self.afterResume = afterResume
        console = Console(enabled: collectives.rank == 0)
    }

    /// Trains (and evaluates) until done or stopped by a signal.
    @discardableResult
    public func run() throws -> SessionOutcome {
        let loadStart = Date()
        let data = try DatasetLoader.load(job.dataset, seed: job.seed)
        let trainer = try Trainer(job: job, data: data, collectives: collectives)
        self.trainer = trainer
        configStart = ConfigStart(stepsPerEpoch: trainer.stepsPerEpoch)
        let checkpointDirectory = options.checkpointDirectory
        let store = checkpointDirectory.map { CheckpointStore(directory: $0, policy: job.checkpoint) }
        if options.resume, let store, let checkpointDirectory {
            try resume(trainer, from: store, directory: checkpointDirectory)
            if try finishedAlready(trainer) {
                let text = "the run is already finished at step \(trainer.position.globalStep); nothing to train"
                if !json { console.line(text) } else if collectives.rank == 0 { Log.logger.notice("\(text)") }
                return .alreadyFinished(step: trainer.position.globalStep)
            }
            // The config files are rewritten only for a run that trains on.
            if collectives.rank == 0 { try afterResume?() }
        }
        // Lines past the starting point are trained again (a resume, or the same job started
        // again in a folder left before its first checkpoint): drop them, so none is written twice.
        if collectives.rank == 0, let runDirectory {
            try MetricsFile(runDirectory: runDirectory).cut(resumingAt: trainer.position.globalStep)
        }
        let metricsFile = try openMetrics()
        defer { try? metricsFile?.close() }
        // A run starting afresh drops an earlier run's timeline; then every rank starts recording at
        // the same point (collective: clocks aligned at a barrier).
        if collectives.rank == 0, let runDirectory, !options.resume, trainer.position.globalStep == 0 {
            TimelineRecorder.removeEarlierRecording(in: runDirectory)
        }
        timeline = try runDirectory.flatMap { folder in
            try job.timeline ? TimelineRecorder.start(runDirectory: folder, job: job, collectives: collectives,
                                                      layerNames: trainer.network.layers.map(\.name), firstStep: trainer.position.globalStep) : nil
        }
        trainer.observer = timeline
        defer { timeline?.flush() }   // however training ends
        // TensorBoard's copy of the same numbers. Its session starts at the first step this process
        // trains, so TensorBoard drops what earlier files hold from there on (trained again).
        let events = collectives.rank == 0 ? runDirectory.flatMap { EventFileWriter(folder: $0, firstStep: trainer.position.globalStep + 1) } : nil

        let inputs = data.train.featureCount, outputs = trainer.network.outputWidth
        if !json {
            console.line("\(job.name): \(job.model.summary(inputs: inputs, outputs: outputs)), \(trainer.network.store.count) parameters; "
                + "\(data.train.count) train / \(data.validation?.count ?? 0) validation / \(data.test?.count ?? 0) test samples "
                + "(loaded in \(String(format: "%.1f", Date().timeIntervalSince(loadStart))) s); "
                + "\(collectives.size) rank\(collectives.size == 1 ? "" : "s"), global batch \(job.batchSize), \(job.optimizer.kind.rawValue) lr \(job.optimizer.learningRate)")
        }
        // Every rank takes part in the per-step points' sum; rank 0 writes them.
        let stepScalars = runDirectory.map { _ in StepScalars(trainer: trainer, events: events) }
        let progress = ProgressBar(enabled: collectives.rank == 0 && !json && isatty(STDERR_FILENO) == 1)
        var lastSaved = trainer.position.globalStep
        let heartbeat = collectives.rank == 0 ? runDirectory.flatMap(Heartbeat.init(runDirectory:)) : nil
        let stepDelay = RankTestHooks.stepDelay(rank: collectives.rank)
        trainer.onStep = { [self] position, steps in
            progress.update(position, of: steps, budgetInSteps: job.steps != nil)
            heartbeat?.beat(step: position.globalStep)
            if let stepDelay { Thread.sleep(forTimeInterval: stepDelay) }
            try stepScalars?.stepEnded(at: position)
            // Step-based and time-based saves (one per step); a step followed by a report is saved
            // below, with its metrics.
            let stepsDue = job.checkpoint.everySteps > 0 && position.globalStep % job.checkpoint.everySteps == 0
            if stepsDue || trainer.saveAgreed, !trainer.reportFollows(position) {
                try save(trainer, store, metrics: [:])
                lastSaved = position.globalStep
                stepScalars?.restartClock()
            }
        }
        // Time-based saves: rank 0 decides, each step's exchange tells every rank (`saveAgreed`).
        if job.checkpoint.everySeconds > 0 && collectives.rank == 0 && store != nil {
            let timer = SaveTimer(seconds: job.checkpoint.everySeconds)
            saveTimer = timer
            trainer.saveDue = { timer.due }
        }
        let failAtStep = options.testHooks.failStep(rank: collectives.rank)
        if let failAtStep {
            if options.testHooks.failMode == .signal {
                trainer.shouldStop = {
                    if trainer.position.globalStep >= failAtStep { StopRequest.request(SIGTERM) }
                    return false
                }
            } else {
                trainer.shouldStop = { trainer.position.globalStep >= failAtStep }
            }
        }

        var throughputs: [Double] = []
        var lastReport: EpochReport?
        let completed: Bool
        do {
            saveTimer?.restart()   // the interval counts training, not loading
            completed = try trainer.train { report in
                progress.clear()
                throughputs.append(report.samplesPerSecond)
                lastReport = report
                let line = jsonLine(report.json)
                if json { console.line(line) } else { console.line(Self.describe(report, budget: job.steps ?? job.epochs)) }
                try metricsFile?.write(contentsOf: Data((line + "\n").utf8))
                events?.scalars(report.scalars, step: report.step)
                timeline?.flush()
                let finished = trainer.budgetDone(trainer.position)
                if job.checkpoint.shouldSave(at: trainer.position, epochEnded: job.steps == nil, trainingEnded: finished,
                                             timeDue: trainer.saveAgreed) {
                    try metricsFile?.synchronize()   // on disk before the checkpoint that follows it
                    try save(trainer, store, metrics: report.checkpointMetrics)
                    lastSaved = trainer.position.globalStep
                }
                stepScalars?.restartClock()
            }
        } catch let error as DivergenceError {
            // Every rank stops at this step; rank 0 records it for programs before anyone exits.
            progress.clear()
            try metricsFile?.write(contentsOf: Data((jsonLine(error.json) + "\n").utf8))
            try metricsFile?.synchronize()
            _ = try collectives.sum([0])
            throw error
        }
        if !completed {
            progress.clear()
            if trainer.stopAgreed || trainer.stoppedAfterLimit {
                if lastSaved != trainer.position.globalStep { try save(trainer, store, metrics: lastReport?.checkpointMetrics ?? [:]) }
                _ = try collectives.sum([0])   // every rank waits until rank 0's checkpoint is on disk
                if options.launched { StopRequest.restoreDefaultHandlers() }   // one rank in the command's own process keeps them to its exit
                let why = trainer.stoppedAfterLimit && !trainer.stopAgreed
                    ? "stopped after \(job.stopAfter!) \(job.steps == nil ? "epoch" : "evaluation")(s) (job.stop_after)" : "stopped by a signal"
                if !json { console.line("\(why) at step \(trainer.position.globalStep); checkpoint saved (resume with --resume or `ringtrain resume`)") }
                return .interrupted(step: trainer.position.globalStep)
            }
            if let failAtStep { try options.testHooks.fail(atStep: failAtStep) }
        }
        if job.checkpoint.atEnd && lastSaved != trainer.position.globalStep {
            try save(trainer, store, metrics: lastReport?.checkpointMetrics ?? [:])
        }
        let test = try data.test.map { try trainer.evaluate($0) }
        let final = FinalReport(epochs: job.steps == nil ? trainer.position.epoch : nil, step: trainer.position.globalStep, test: test,
                                lastEpoch: lastReport ?? Self.report(fromCheckpointMetrics: resumedMetrics, step: trainer.position.globalStep),
                                samplesPerSecond: throughputs.isEmpty ? 0 : throughputs.reduce(0, +) / Double(throughputs.count))
        let finalLine = jsonLine(final.json)
        try metricsFile?.write(contentsOf: Data((finalLine + "\n").utf8))
        events?.scalars(EpochReport.scalars(of: final.json).filter { $0.tag.hasPrefix("test_") }, step: final.step)
        if json {
            console.line(finalLine)
        } else if let test {
            console.line(String(format: "test: loss %.4f", test.loss) + (test.accuracy.map { String(format: "  accuracy %.4f", $0) } ?? "")
                         + (test.regression.map { String(format: "  mse %.4f  mae %.4f", $0.mse, $0.mae) } ?? "")
                         + (test.bitsPerByte.map { String(format: "  bpb %.4f", $0) } ?? ""))
            // Per-class tables are for classifiers, not for 256 next-byte "classes".
            if let c = test.classification, test.bitsPerByte == nil { console.line(c.report(classNames: data.test?.classNames ?? data.train.classNames)) }
        }
        return .completed(final)
    }

    /// Rank 0 writes a checkpoint of the current position and prunes old ones. Every save, also
    /// one skipped for non-finite values, restarts the `every_seconds` clock once it ends.
    func save(_ trainer: Trainer, _ store: CheckpointStore?, metrics: [String: Double]) throws {
        guard let store else { return }
        defer { saveTimer?.restart() }
        // Never a checkpoint of non-finite weights (job.on_nonfinite: continue): it would replace
        // and prune the last finite one. Every rank holds the same weights, so all skip alike.
        if let tensor = trainer.firstNonFiniteTensor() {
            if collectives.rank == 0 {
                Log.logger.warning("no checkpoint at step \(trainer.position.globalStep): \(tensor) is not finite; the last finite checkpoint is kept")
            }
            return
        }
        // The checkpoint's collectives (the optimizer state made whole, the window summed) belong to it.
        trainer.observer?.phaseBegan(.checkpoint)
        defer { trainer.observer?.phaseEnded(.checkpoint) }
        // Optimizer state can overflow while the weights stay finite (Adam's squared gradients);
        // the ranks' shards are checked together, so all decide alike.
        if let tensor = try trainer.firstNonFiniteOptimizerTensor() {
            let error = DivergenceError(step: trainer.position.globalStep, tensor: tensor)
            guard job.onNonFinite == .continue else { throw error }
            if collectives.rank == 0 {
                Log.logger.warning("no checkpoint at step \(trainer.position.globalStep): \(tensor) is not finite; the last finite checkpoint is kept")
            }
            return
        }
        let optimizerState = try trainer.optimizerStateForCheckpoint()   // every rank's shard, whole on rank 0
        var state = CheckpointState(position: trainer.position, learningRate: trainer.currentLearningRate, seed: job.seed,
                                    worldSize: collectives.size, configHash: configHash, metrics: metrics)
        state.skippedSteps = trainer.skippedSteps
        state.configStart = configStart
        state.reportWindow = try trainer.reportWindowTotals()   // collective: summed on every rank
        let writing: StepPhase = collectives.rank == 0 ? .checkpointWrite : .barrier
        trainer.observer?.phaseBegan(writing)
        defer { trainer.observer?.phaseEnded(writing) }
        timeline?.flush()   // what a later failure would lose is on disk
        try collectives.whileRootWorks("writing checkpoint \(CheckpointStore.folderName(step: state.globalStep))") {
            if let delay = RankTestHooks.saveDelay { Thread.sleep(forTimeInterval: delay) }
            try store.save(layout: trainer.network.store.entries, parameters: UnsafeBufferPointer(trainer.network.store.parameters.buffer),
                           optimizerState: optimizerState, optimizerStepCount: trainer.optimizer.stepCount, state: state,
                           buffers: trainer.network.buffers)
            try store.prune()
        }
    }

    /// The last report as a checkpoint recorded it (`EpochReport.checkpointMetrics`), so a run
    /// resumed at its end (its final line not yet written) writes the final line it would have.
    static func report(fromCheckpointMetrics metrics: [String: Double], step: Int) -> EpochReport? {
        guard let loss = metrics["loss"] else { return nil }
        var report = EpochReport(epoch: nil, evaluation: nil, step: step, loss: loss, trainAccuracy: metrics["train_acc"],
                                 validationLoss: metrics["val_loss"], validationAccuracy: metrics["val_acc"],
                                 samplesPerSecond: 0, learningRate: 0, seconds: 0)
        report.otherMetrics = metrics.filter { !["loss", "train_acc", "val_loss", "val_acc"].contains($0.key) }
        return report
    }

    private func openMetrics() throws -> FileHandle? {
        guard collectives.rank == 0, let runDirectory else { return nil }
        return try MetricsFile(runDirectory: runDirectory).openForAppending()
    }

    /// Whether the resumed position ends the budget and rank 0 finds the run's final line
    /// written (one sum tells every rank). A finished run without its final line (stopped between
    /// the last save and that line) goes on to write it.
    private func finishedAlready(_ trainer: Trainer) throws -> Bool {
        guard trainer.budgetDone(trainer.position) else { return false }
        let written = collectives.rank == 0 && runDirectory.map { MetricsFile(runDirectory: $0).hasFinalLine() } == true
        return try collectives.sum([written ? 1 : 0])[0] > 0
    }

    /// One human-readable report line; `budget` is the job's epochs, or its steps when the
    /// report has no epoch.
    static func describe(_ r: EpochReport, budget: Int) -> String {
        var parts = r.epoch.map { ["epoch \($0)/\(budget)", "step \(r.step)"] } ?? ["step \(r.step)/\(budget)"]
        parts.append(String(format: "loss %.4f", r.loss))
        if let a = r.trainAccuracy { parts.append(String(format: "train_acc %.4f", a)) }
        if let l = r.validationLoss { parts.append(String(format: "val_loss %.4f", l)) }
        if let a = r.validationAccuracy { parts.append(String(format: "val_acc %.4f", a)) }
        for name in r.otherMetrics.keys.sorted() { parts.append(name + String(format: " %.4f", r.otherMetrics[name]!)) }
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
        FileHandle.standardOutput.writeText(text + "\n")
    }
}
