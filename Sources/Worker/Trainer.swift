// Trainer: the data-parallel training loop — per micro-step gather, forward, loss, backward;
// per step one gradient exchange across ranks (GradientExchange), clipping, the scheduled update.
import Foundation
import Model
import Collective
import Logging

/// Where a run is: enough to continue it exactly (the RNG is counter-based).
public struct TrainingPosition: Sendable, Equatable, Codable {
    /// 0-based epoch being trained.
    public var epoch = 0
    /// Optimizer steps already taken within that epoch.
    public var stepInEpoch = 0
    /// Optimizer steps taken since the start of training.
    public var globalStep = 0
    public init(epoch: Int = 0, stepInEpoch: Int = 0, globalStep: Int = 0) {
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
        self.globalStep = globalStep
    }
}

/// Errors in a job that only show once the data is known.
public struct TrainingError: UsageError {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Trains one network on one rank's shard; all ranks run the same loop in lockstep.
public final class Trainer {
    public let job: TrainingJob
    public let data: DataSplits
    public let network: Sequential
    public let optimizer: any Optimizer
    public let schedule: LearningRateSchedule
    /// The ranks training together (one rank: `Collectives.singleRank()`).
    public let collectives: Collectives
    /// How gradients cross the ranks.
    public let exchange: GradientExchange
    public let loss: LossKind
    /// Where training continues from; advanced as steps complete.
    public private(set) var position = TrainingPosition()
    /// Called after every optimizer step with the position (progress display).
    public var onStep: ((TrainingPosition, Int) throws -> Void)?
    /// Asked after every optimizer step; returning true ends training after that step.
    /// (A signal to any rank also ends it, on every rank at the same step: see `stopAgreed`.)
    public var shouldStop: (() -> Bool)?

    private let evaluator = Evaluator()
    private let features = FloatBuffer()
    private let targets = FloatBuffer()
    private let lossGradient = FloatBuffer()
    private var indices: [Int] = []
    private var lastLearningRate = 0.0
    /// The current epoch's sampler, built once per epoch (its order is a permutation of the
    /// whole training split).
    private var epochSampler: (epoch: Int, sampler: EpochSampler)?
    /// The batches of a job budgeted in steps (`job.steps`); nil for an epochs job.
    public let stepSampler: StepSampler?
    /// Optimizer steps in one epoch of the training split (of an epochs job).
    public var stepsPerEpoch: Int {
        EpochSampler.stepsPerEpoch(sampleCount: data.train.count, globalBatch: job.batchSize, tail: job.tail)
    }
    /// The learning rate of the most recent step (or of the next one before any step).
    public var currentLearningRate: Double {
        position.globalStep == 0 ? schedule.learningRate(atStep: 0) : schedule.learningRate(atStep: position.globalStep - 1)
    }
    /// Steps whose averaged gradients were not finite (an fp16 overflow on the wire), so every
    /// rank skipped the update alike; counted in `position.globalStep` too. Saved in checkpoints.
    public private(set) var skippedSteps = 0
    /// True once the ranks have agreed (through the last gradient all-reduce) to stop.
    public private(set) var stopAgreed = false
    /// True once training stopped at `job.stopAfter` (an epoch or evaluation count) before its budget.
    public private(set) var stoppedAfterLimit = false
    /// Asked on rank 0 before each step's exchange: whether a time-based save is due
    /// (`checkpoint.every_seconds`). The answer travels with the gradients, so every rank learns
    /// it at the same step (`saveAgreed`). Default nil: nothing is asked and no clock is read.
    public var saveDue: (() -> Bool)?
    /// True when rank 0 found a time-based save due at the last step, agreed through its exchange.
    public private(set) var saveAgreed = false
    /// Told of every step and phase as they start and end (timing, traces, timelines); also
    /// watches the gradient exchange. Default nil: nothing is told and no clock is read.
    public var observer: (any StepObserver)? {
        didSet { exchange.observer = observer }
    }
    /// Every this many steps (0, the default: never) the step measures this rank's share of the
    /// averaged gradients' squared norm (`gradientSquaredNormShare`; the shares sum to the whole
    /// across ranks), for per-step scalars.
    public var measuresGradientNormEvery = 0
    /// This rank's share of the squared gradient norm at the last measured step.
    public var gradientSquaredNormShare: Double { exchange.measuredSquaredNorm }
    /// The last step's loss on this rank: the sum of its micro-steps' mean losses.
    public private(set) var lastStepLoss = 0.0
    /// True once `job.onNonFinite == .continue` has warned of a non-finite value (once per run).
    private var nonFiniteWarned = false
    /// Whether layers sum statistics across ranks (batch norm with several ranks), found once:
    /// finding them walks the layers.
    private let synchronisesStatistics: Bool
    /// This rank's figures since the last metrics line (carried in checkpoints, summed across ranks).
    private var window: ReportWindow

    /// Builds the network (parameters from rank 0) and optimizer for `job` on `data`.
    public init(job: TrainingJob, data: DataSplits, collectives: Collectives) throws {
        // The checks `validate` makes too, before anything large is allocated.
        try JobDataCheck.check(job, data: data, ranks: collectives.size, ranksOnHost: HostMemory.ranksOnHost(ranks: collectives.size),
                               available: HostMemory.atStart, withRankZero: collectives.rank == 0)
        self.job = job
        self.data = data
        self.collectives = collectives
        network = try Self.buildNetwork(job, data: data, collectives: collectives)
        loss = job.lossKind(for: data.train.task)
        stepSampler = job.steps == nil ? nil : StepSampler(sampleCount: data.train.count, globalBatch: job.batchSize,
                                                           ranks: collectives.size, accumulate: job.accumulate, seed: job.seed)
        let steps = EpochSampler.stepsPerEpoch(sampleCount: data.train.count, globalBatch: job.batchSize, tail: job.tail)
        schedule = LearningRateSchedule(job.schedule, baseLearningRate: job.optimizer.learningRate,
                                        totalSteps: job.steps ?? steps * job.epochs)
        window = ReportWindow(task: data.train.task)
        let exchange = GradientExchange(store: network.store, layerRanges: network.parameterRanges, job: job, collectives: collectives)
        self.exchange = exchange
        if collectives.rank == 0 {
            // Known once the exchange has settled `cluster.allreduce: auto`.
            if let note = collectives.hostMemoryNote { Log.logger.warning("\(note)") }
            if let sharing = collectives.ranksSharingMemory {
                let text = sharing == collectives.size
                    ? "gradients and parameters in memory the \(sharing) ranks on this host share: no messages between them"
                    : "gradients and parameters in memory the \(sharing) ranks of \(collectives.hostMemoryNote == nil ? "each host" : "a host that could map it") "
                        + "share: the two-level all-reduce sends messages between hosts only"
                Log.logger.notice("\(text)")
            }
        }
        // Each rank keeps optimizer state only for the elements it updates (1/N under the sharded update).
        optimizer = makeOptimizer(job.optimizer, parameterCount: network.store.count, layout: network.store.entries,
                                  stateRange: exchange.updatedElements(averaging: exchange.averaging))
        try collectives.broadcast(network.store.parameters.buffer, root: 0)
        // Synchronised layers (batch_norm) sum their statistics across ranks through the exchange,
        // which keeps such sums in order with buckets in flight.
        synchronisesStatistics = collectives.size > 1 && !network.batchNormLayers.isEmpty
        if synchronisesStatistics { network.installCrossRankSum(exchange.crossRankSum) }
    }

    /// The job's network, its parameters and gradients in memory every rank of this host maps
    /// when the ranks may share it (`Collectives.mapHostMemory`), so the exchange reads them in place.
    private static func buildNetwork(_ job: TrainingJob, data: DataSplits, collectives: Collectives) throws -> Sequential {
        let layers = try job.model.layers(sampleShape: data.train.sampleShape, task: data.train.task)
        let elements = ParameterStore.elements(layout: Sequential.layout(of: layers))
        let shared = try collectives.mapHostMemory(elements: elements, buffers: 2)
        let storage = shared.map {
            ParameterStore.Storage(parameters: $0.buffer(0, rank: $0.rank), gradients: $0.buffer(1, rank: $0.rank),
                                   elements: elements, owner: $0)
        }
        return Sequential(layers: layers, seed: job.seed, storage: storage)
    }

    /// Continues from `position` (after restoring parameters and optimizer state), with
    /// `skippedSteps` overflowed steps so far (default 0) and the report window's totals across
    /// ranks `window` (give them on one rank only, e.g. rank 0, so the sum across ranks stays
    /// right; default nil, an empty window).
    public func resume(at position: TrainingPosition, skippedSteps: Int = 0, window: ReportWindowTotals? = nil) {
        self.position = position
        self.skippedSteps = skippedSteps
        self.window = window.map { ReportWindow(task: data.train.task, continuing: $0) } ?? ReportWindow(task: data.train.task)
    }

    /// Trains until `job.epochs` (or `job.steps`) are done, or a stop is agreed (or `shouldStop`
    /// says so), calling `onReport` after each epoch (with `job.steps`: every `job.evalEvery` steps
    /// and at the end). A stop at a step that reports is honoured after its report, so a resumed
    /// run never repeats or skips a metrics line. Returns true when the whole budget was trained.
    @discardableResult
    public func train(onReport: (EpochReport) throws -> Void) throws -> Bool {
        window.started = Date()   // throughput counts from here, not from loading
        if reachedStopAfter() { return false }   // resumed at or past it: nothing to train
        if let steps = job.steps, let stepSampler { return try train(steps: steps, sampler: stepSampler, onReport: onReport) }
        while position.epoch < job.epochs {
            let sampler = currentSampler()
            while position.stepInEpoch < sampler.stepsPerEpoch {
                try step(sampler, of: sampler.stepsPerEpoch)
                if position.stepInEpoch < sampler.stepsPerEpoch && stopRequested { return false }
            }
            let report = try self.report(window, epoch: position.epoch + 1, evaluation: nil)
            position.epoch += 1
            position.stepInEpoch = 0
            window = ReportWindow(task: data.train.task)
            try onReport(report)
            if position.epoch < job.epochs && (stopRequested || reachedStopAfter()) { return false }
        }
        return true
    }

    /// True (and noted in `stoppedAfterLimit`) when `job.stopAfter` epochs, or evaluations with a
    /// steps budget, are done and the budget is not: every rank holds the same position, so all
    /// stop at the same step.
    private func reachedStopAfter() -> Bool {
        guard let limit = job.stopAfter, !budgetDone(position) else { return false }
        let done = job.steps == nil ? position.epoch : position.globalStep / (job.evalEvery ?? job.steps!)
        if done >= limit { stoppedAfterLimit = true }
        return stoppedAfterLimit
    }

    /// Trains a budget of `steps` optimizer steps from the current position, with batches drawn by
    /// `sampler`; validates and reports after every `job.evalEvery` steps and after the last
    /// one. The position stays in epoch 0, its step in the epoch equal to the global step.
    private func train(steps: Int, sampler: StepSampler, onReport: (EpochReport) throws -> Void) throws -> Bool {
        let every = job.evalEvery ?? steps
        position = TrainingPosition(epoch: 0, stepInEpoch: position.globalStep, globalStep: position.globalStep)
        while position.globalStep < steps {
            try step(sampler, of: steps)
            if reportFollows(position) {
                let report = try report(window, epoch: nil, evaluation: (position.globalStep + every - 1) / every)
                window = ReportWindow(task: data.train.task)   // a save at this step holds an empty window
                try onReport(report)
                if position.globalStep < steps && reachedStopAfter() { return false }
            }
            if position.globalStep < steps && stopRequested { return false }
        }
        return true
    }

    /// True once the ranks agreed to stop (or the test hook `shouldStop` says so).
    private var stopRequested: Bool { stopAgreed || shouldStop?() == true }

    /// One step, added to the report window, then `onStep` told (`total`: steps in the epoch or budget).
    private func step<Sampler: BatchSampler>(_ sampler: Sampler, of total: Int) throws {
        let loss = try step(sampler, metrics: &window.metrics)
        lastStepLoss = loss
        window.add(loss: loss, microSteps: job.accumulate)
        try onStep?(position, total)
    }

    /// The report window (the steps since the last metrics line) summed across ranks, as a
    /// checkpoint stores it. Collective: every rank calls it at the same step.
    public func reportWindowTotals() throws -> ReportWindowTotals {
        let totals = try collectives.sum([window.lossSum, window.lossCount, Double(window.metrics?.correct ?? 0),
                                          Double(window.metrics?.count ?? 0)])
        return ReportWindowTotals(lossSum: totals[0], lossCount: Int(totals[1]), steps: window.steps,
                                  correct: Int(totals[2]), predictions: Int(totals[3]))
    }

    /// The metrics line for the current position: `window` summed across ranks (one reduction of
    /// [loss sum, loss count, accuracy counts...]) and the validation split evaluated.
    private func report(_ window: ReportWindow, epoch: Int?, evaluation: Int?) throws -> EpochReport {
        let seconds = Date().timeIntervalSince(window.started)
        let totals = try collectives.sum([window.lossSum, window.lossCount] + (window.metrics?.counts ?? []))
        let trainMetrics = window.metrics.map { ClassificationMetrics(classes: $0.classes, counts: Array(totals[2...])) }
        let validation = try data.validation.map { try evaluate($0) }
        var report = EpochReport(
            epoch: epoch, evaluation: evaluation, step: position.globalStep,
            loss: totals[1] > 0 ? totals[0] / totals[1] : .nan,
            trainAccuracy: trainMetrics?.accuracy,
            validationLoss: validation?.loss, validationAccuracy: validation?.accuracy,
            samplesPerSecond: seconds > 0 ? Double(window.timedSteps * job.batchSize) / seconds : 0,
            learningRate: lastLearningRate, seconds: seconds, skippedSteps: job.fp16Gradients ? skippedSteps : nil)
        if let bitsPerByte = validation?.bitsPerByte { report.otherMetrics["val_bpb"] = bitsPerByte }
        return report
    }

    /// Whether training reports (validates, prints a metrics line) after the step that reached
    /// `position`: at the end of an epoch, or with `job.steps` every `job.evalEvery` steps and at
    /// the last step.
    public func reportFollows(_ position: TrainingPosition) -> Bool {
        guard let steps = job.steps else {
            return position.stepInEpoch == stepsPerEpoch
        }
        return position.globalStep % (job.evalEvery ?? steps) == 0 || position.globalStep == steps
    }

    /// Whether `position` is the end of the whole budget (all epochs, or all steps).
    public func budgetDone(_ position: TrainingPosition) -> Bool {
        if let steps = job.steps { return position.globalStep >= steps }
        return position.epoch >= job.epochs
    }

    /// One optimizer step at the current position: `accumulate` micro-steps of gather, forward,
    /// loss and backward; one gradient exchange across ranks (`exchange.averaging`), which runs the
    /// update. Returns the sum of the micro-steps' mean losses (this rank's, rounded to Float) and
    /// records predictions in `metrics`. `observer` is told of the step and its phases, and of
    /// its failure when it throws.
    public func step<Sampler: BatchSampler>(_ sampler: Sampler, metrics: inout ClassificationMetrics?) throws -> Double {
        guard let observer else { return try runStep(sampler, metrics: &metrics) }
        let began = position
        observer.stepBegan(at: began)
        let loss: Double
        do {
            loss = try runStep(sampler, metrics: &metrics)
        } catch {
            observer.stepFailed(at: began, error: error)
            throw error
        }
        try observer.stepEnded(at: position, loss: loss)
        return loss
    }

    /// The work of `step`: its phases, each told to `observer`, and the position advanced.
    private func runStep<Sampler: BatchSampler>(_ sampler: Sampler, metrics: inout ClassificationMetrics?) throws -> Double {
        let lossSum = microSteps(sampler, metrics: &metrics)
        if synchronisesStatistics { try network.throwCrossRankFailure() }   // a statistics sum that failed in the passes above
        lastLearningRate = schedule.learningRate(atStep: position.globalStep)
        exchange.measuresNorm = measuresGradientNormEvery > 0 && (position.globalStep + 1) % measuresGradientNormEvery == 0
        observer?.phaseBegan(.exchange)
        stopAgreed = try exchange.exchange { update($0) }
        saveAgreed = exchange.saveWasDue
        observer?.phaseEnded(.exchange)
        position.stepInEpoch += 1
        position.globalStep += 1
        observer?.phaseBegan(.finiteCheck)
        defer { observer?.phaseEnded(.finiteCheck) }
        try checkFinite()
        return Double(Float(lossSum))   // Float values sum exactly in Double, in any order (ReportWindowTotals)
    }

    /// After a step: a non-finite training loss on any rank (agreed in the exchange), or weights
    /// or running statistics not finite after the update (identical on every rank), end the run on
    /// every rank at this step (`job.onNonFinite` `.stop`), before anything saves; with `.continue`
    /// one warning is logged and the checks end. Skipped fp16 overflow steps leave weights as they were.
    private func checkFinite() throws {
        guard !nonFiniteWarned else { return }
        let tensor = exchange.lossWasFinite ? NonFinite.firstTensor(in: network.store, buffers: network.buffers) : "loss"
        guard let tensor else { return }
        let error = DivergenceError(step: position.globalStep, tensor: tensor)
        guard job.onNonFinite == .continue else { throw error }
        nonFiniteWarned = true
        if collectives.rank == 0 {
            let what = tensor == "loss" ? "the training loss" : tensor
            Log.logger.warning("\(what) is not finite at step \(position.globalStep); training continues (job.on_nonfinite: continue), and checkpoints of non-finite weights are not written")
        }
    }

    /// The first parameter or float buffer that is not finite, by layout name; nil when all are.
    public func firstNonFiniteTensor() -> String? {
        NonFinite.firstTensor(in: network.store, buffers: network.buffers)
    }

    /// The first optimizer state tensor holding a value that is not finite on any rank, named
    /// `optimizer.NAME`; nil when all are. Collective when ranks keep shards (one small sum).
    public func firstNonFiniteOptimizerTensor() throws -> String? {
        let flags = optimizer.withStateBuffers { $0.map { FiniteValues.all($0) ? 0.0 : 1.0 } }
        let any = stateIsSharded ? try collectives.sum(flags) : flags
        return zip(optimizer.stateNames, any).first { $0.1 > 0 }.map { "optimizer." + $0.0 }
    }

    /// Gather, forward, loss and backward of every micro-step, accumulating the gradients (with
    /// overlap, buckets start crossing the ranks during the last backward). Returns the loss sum.
    func microSteps<Sampler: BatchSampler>(_ sampler: Sampler, metrics: inout ClassificationMetrics?) -> Double {
        let localBatch = job.localBatch, width = network.outputWidth
        features.resize(localBatch * data.train.featureCount)
        targets.resize(localBatch * data.train.targetWidth)
        lossGradient.resize(localBatch * width)
        var lossSum = 0.0
        exchange.markStopRequest(saveDue: saveDue?() ?? false)
        for micro in 0..<job.accumulate {
            observer?.phaseBegan(.gather(microStep: micro))
            sampler.indices(at: position, microStep: micro, rank: collectives.rank, into: &indices)
            data.train.gather(indices[...], features: features.pointer, targets: targets.pointer)
            observer?.phaseEnded(.gather(microStep: micro))
            observer?.phaseBegan(.forward(microStep: micro))
            let context = ForwardContext(training: true, seed: job.seed, step: UInt64(position.globalStep),
                                         rank: UInt64(collectives.rank), microStep: UInt64(micro))
            let out = network.forward(features.pointer, batch: localBatch, context: context)
            let rows = data.train.task.predictionsPerSample   // a language model is scored at every position
            let microLoss = loss.evaluate(outputs: out, targets: targets.pointer, targetCount: localBatch * data.train.targetWidth,
                                          batch: localBatch * rows, width: width / rows,
                                          gradient: lossGradient.pointer, gradientScale: 1 / Float(job.accumulate))
            // Every rank learns of it in the exchange; with `continue` the flag stays free for stop requests.
            if !microLoss.isFinite && job.onNonFinite == .stop { exchange.markNonFiniteLoss() }
            lossSum += microLoss
            metrics?.record(logits: out, labels: targets.pointer, batch: localBatch * rows, classes: width / rows)
            observer?.phaseEnded(.forward(microStep: micro))
            observer?.phaseBegan(.backward(microStep: micro))
            let startBuckets = exchange.backwardHook(lastMicroStep: micro == job.accumulate - 1)
            if let observer {
                network.backward(lossGradient.pointer, batch: localBatch, accumulate: micro > 0,
                                 onLayerDone: Self.layerSpans(observer, layers: network.layers.count, then: startBuckets))
            } else {
                network.backward(lossGradient.pointer, batch: localBatch, accumulate: micro > 0, onLayerDone: startBuckets)
            }
            observer?.phaseEnded(.backward(microStep: micro))
        }
        return lossSum
    }

    /// What backward is told after each layer when an observer watches: the layer's
    /// `backwardLayer` phase ends (the last layer's begins here, before backward starts), `then`
    /// runs, and the next layer's phase begins.
    private static func layerSpans(_ observer: any StepObserver, layers: Int,
                                   then next: ((Int) -> Void)?) -> (Int) -> Void {
        observer.phaseBegan(.backwardLayer(index: layers - 1))
        return { index in
            observer.phaseEnded(.backwardLayer(index: index))
            next?(index)
            if index > 0 { observer.phaseBegan(.backwardLayer(index: index - 1)) }
        }
    }

    /// Clips and applies the averaged gradients to this rank's part of the parameters, or skips
    /// the step on every rank alike when they are not finite.
    private func update(_ averaged: AveragedGradients) {
        guard averaged.finite else {
            skippedSteps += 1
            return
        }
        let gradients = network.store.gradients.buffer
        if let maxNorm = job.optimizer.clipNorm {
            observer?.phaseBegan(.clip)
            clipGradients(gradients, averaged.shard, norm: averaged.norm, maxNorm: Float(maxNorm))
            observer?.phaseEnded(.clip)
        }
        observer?.phaseBegan(.update)
        optimizer.step(parameters: network.store.parameters.buffer, gradients: gradients,
                       learningRate: Float(lastLearningRate), range: averaged.shard)
        observer?.phaseEnded(.update)
    }

    /// Averages gradients `averaging`'s way from the next step on (benchmarks compare the ways
    /// on one trainer). Collective: every rank calls it between the same steps. The optimizer
    /// state moves with it: whole on every rank for the ways that update every element, each
    /// rank's shard for the sharded update.
    public func useAveraging(_ averaging: GradientAveraging) throws {
        // Decided from the averaging ways alone, the same on every rank (never from this rank's
        // range, which can equal the whole on one rank of a tiny model while the others gather).
        let wasSharded = stateIsSharded
        let target = exchange.updatedElements(averaging: averaging)
        let current = optimizer.stateRange
        exchange.averaging = averaging
        if wasSharded != stateIsSharded {
            var tensors: [String: [Float]] = [:]
            for (name, values) in optimizer.stateTensors() {
                tensors[name] = wasSharded ? try exchange.allGatherShards(values)
                    : Array(values[(target.lowerBound - current.lowerBound)..<(target.upperBound - current.lowerBound)])
            }
            try optimizer.restoreState(tensors: tensors, stepCount: optimizer.stepCount, covering: target)
        }
    }

    /// Whether each rank keeps optimizer state only for its own shard (the sharded update with
    /// several ranks): the same answer on every rank.
    private var stateIsSharded: Bool { exchange.averaging == .sharded && collectives.size > 1 }

    /// The whole optimizer state, for rank 0 to save: on rank 0 every tensor with every rank's
    /// shard gathered into it, on the other ranks an empty list. Collective (every rank calls it
    /// at the same step).
    public func optimizerStateForCheckpoint() throws -> [(name: String, values: [Float])] {
        guard stateIsSharded else { return collectives.rank == 0 ? optimizer.stateTensors() : [] }
        return try optimizer.withStateBuffers { parts in
            var whole: [(name: String, values: [Float])] = []
            for (name, part) in zip(optimizer.stateNames, parts) {
                if let gathered = try collectives.gather(part, ranges: exchange.shards, length: network.store.count, root: 0) {
                    whole.append((name: name, values: gathered))
                }
            }
            return whole
        }
    }

    /// Rank 0 hands every rank its part of the whole optimizer `tensors` (read on rank 0 only;
    /// each the parameters' length there), which then replace the state with `stepCount`.
    /// Collective. Each rank receives only the elements its state covers.
    public func restoreOptimizerState(from tensors: [String: [Float]], stepCount: Int) throws {
        var own: [String: [Float]] = [:]
        let range = optimizer.stateRange
        for name in optimizer.stateNames {
            let whole = collectives.rank == 0 ? tensors[name] ?? [] : []
            if collectives.rank == 0 {
                precondition(whole.count == network.store.count, "optimizer tensor \(name) holds \(whole.count) values")
            }
            if stateIsSharded {
                own[name] = try whole.withUnsafeBufferPointer { try collectives.scatter($0, ranges: exchange.shards, root: 0) }
            } else {
                var values = collectives.rank == 0 ? whole : [Float](repeating: 0, count: network.store.count)
                try values.withUnsafeMutableBufferPointer { try collectives.broadcast($0, root: 0) }
                own[name] = values
            }
        }
        try optimizer.restoreState(tensors: own, stepCount: stepCount, covering: range)
    }

    /// The sampler for the current epoch, built on the first call in each epoch.
    public func currentSampler() -> EpochSampler {
        if let cached = epochSampler, cached.epoch == position.epoch { return cached.sampler }
        let sampler = EpochSampler(sampleCount: data.train.count, globalBatch: job.batchSize, ranks: collectives.size,
                                   accumulate: job.accumulate, tail: job.tail, seed: job.seed, epoch: position.epoch)
        epochSampler = (position.epoch, sampler)
        return sampler
    }

    /// Loss and metrics on `dataset` (e.g. the test split), reduced across ranks; an
    /// `.evaluation` phase to `observer`.
    public func evaluate(_ dataset: Dataset) throws -> EvaluationResult {
        observer?.phaseBegan(.evaluation)
        defer { observer?.phaseEnded(.evaluation) }
        return try evaluator.evaluate(network, on: dataset, loss: loss, batchSize: job.evaluationBatch, collectives: collectives)
    }
}
