// Trainer: the data-parallel training loop — per micro-step gather, forward, loss, backward;
// per step one gradient average across ranks, clipping, the scheduled learning rate, the update.
import Foundation
import Model
import Collective

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
    public let group: ProcessGroup
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
    /// The learning rate of the most recent step (or of the next one before any step).
    public var currentLearningRate: Double {
        position.globalStep == 0 ? schedule.learningRate(atStep: 0) : schedule.learningRate(atStep: position.globalStep - 1)
    }
    /// Steps whose averaged gradients were not finite (an fp16 overflow on the wire), so every
    /// rank skipped the update alike; counted in `position.globalStep` too. Saved in checkpoints.
    public private(set) var skippedSteps = 0
    /// True once the ranks have agreed (through the last gradient all-reduce) to stop.
    public private(set) var stopAgreed = false
    /// Time spent in each phase of the steps taken so far (for benchmarks; reset at will).
    public var phaseTimes = StepPhaseTimes()
    /// Whether sharded steps reclaim the parameter shard's cache lines before updating it
    /// (`CacheLines`). On by default; benchmarks turn it off to show what it saves.
    public var reclaimsParameterShard = true
    /// How steps average gradients (from the job; benchmarks switch it with `setAveraging`).
    public private(set) var averaging: GradientAveraging
    /// True while optimizer state is current only in this rank's shard (after sharded steps).
    private var stateIsSharded = false
    /// The buckets overlapping uses (`job.bucketBytes`).
    public let buckets: GradientBuckets
    /// Told each layer's index as backward finishes it; starts averaging the buckets that are
    /// complete then. Made once, so an overlapped step allocates no closure.
    private let startBucketsAfterLayer: (Int) -> Void

    /// Builds the network (parameters from rank 0) and optimizer for `job` on `data`.
    public init(job: TrainingJob, data: DataSplits, group: ProcessGroup) throws {
        guard job.batchSize % (group.size * job.accumulate) == 0 else {
            throw TrainingError("job.batch_size \(job.batchSize) must be divisible by ranks × accumulate = \(group.size) × \(job.accumulate)")
        }
        guard data.train.count >= job.batchSize else {
            throw TrainingError("the training split has \(data.train.count) samples, fewer than one global batch of \(job.batchSize); lower job.batch_size or raise dataset.subset")
        }
        self.job = job
        self.data = data
        self.group = group
        network = try job.model.build(sampleShape: data.train.sampleShape, task: data.train.task, seed: job.seed)
        if let embedding = network.layers.first as? Embedding {
            for (split, samples) in [("training", data.train), ("validation", data.validation), ("test", data.test)] {
                guard let samples, let bad = embedding.firstInvalidID(in: samples) else { continue }
                throw TrainingError("the \(split) data's sample \(bad.sample) holds \(bad.value) at position \(bad.position); "
                                    + "model.layers[0] (embedding) takes whole token ids from 0 to \(embedding.vocab - 1)")
            }
        }
        loss = job.lossKind(for: data.train.task)
        optimizer = makeOptimizer(job.optimizer, parameterCount: network.store.count, layout: network.store.entries)
        let steps = EpochSampler(sampleCount: data.train.count, globalBatch: job.batchSize, ranks: group.size,
                                 accumulate: job.accumulate, tail: job.tail, seed: job.seed, epoch: 0).stepsPerEpoch
        schedule = LearningRateSchedule(job.schedule, baseLearningRate: job.optimizer.learningRate,
                                        totalSteps: steps * job.epochs)
        averaging = job.averaging
        let plan = GradientBuckets(layerRanges: network.parameterRanges, minimumBytes: job.bucketBytes)
        buckets = plan
        let withControl = network.store.gradientsWithControl   // fixed storage for the run
        startBucketsAfterLayer = { [group] layer in
            for bucket in plan.buckets where bucket.readyAfterLayer == layer {
                group.startAveraging(UnsafeMutableBufferPointer(rebasing: withControl[bucket.elements]))
            }
        }
        try group.broadcastFromRoot(network.store.parameters.buffer)
    }

    /// Continues from `position` (after restoring parameters and optimizer state), with
    /// `skippedSteps` overflowed steps so far (default 0).
    public func resume(at position: TrainingPosition, skippedSteps: Int = 0) {
        self.position = position
        self.skippedSteps = skippedSteps
    }

    /// Trains until `job.epochs` are done (or `shouldStop` says so), calling `onEpoch` after
    /// each epoch. Returns true when all epochs completed.
    @discardableResult
    public func train(onEpoch: (EpochReport) throws -> Void) throws -> Bool {
        while position.epoch < job.epochs {
            let sampler = currentSampler()
            var trainMetrics: ClassificationMetrics? = nil
            if let classes = data.train.task.classCount { trainMetrics = ClassificationMetrics(classes: classes) }
            var lossSum = 0.0, lossCount = 0.0, stepsRun = 0
            var learningRate = schedule.learningRate(atStep: position.globalStep)
            let started = Date()

            while position.stepInEpoch < sampler.stepsPerEpoch {
                lossSum += try step(sampler, metrics: &trainMetrics)
                lossCount += Double(job.accumulate)
                learningRate = lastLearningRate
                stepsRun += 1
                try onStep?(position, sampler.stepsPerEpoch)
                if stopAgreed || shouldStop?() == true { return false }
            }
            let seconds = Date().timeIntervalSince(started)

            // Epoch summary: one reduction of [loss sum, loss count, accuracy counts...].
            let totals = try group.sum([lossSum, lossCount] + (trainMetrics?.counts ?? []))
            if let m = trainMetrics { trainMetrics = ClassificationMetrics(classes: m.classes, counts: Array(totals[2...])) }
            let validation = try data.validation.map {
                try evaluator.evaluate(network, on: $0, loss: loss, batchSize: job.evaluationBatch, group: group)
            }
            let report = EpochReport(
                epoch: position.epoch + 1, step: position.globalStep,
                loss: totals[1] > 0 ? totals[0] / totals[1] : .nan,
                trainAccuracy: trainMetrics?.accuracy,
                validationLoss: validation?.loss, validationAccuracy: validation?.accuracy,
                samplesPerSecond: seconds > 0 ? Double(stepsRun * job.batchSize) / seconds : 0,
                learningRate: learningRate, seconds: seconds, skippedSteps: job.fp16Gradients ? skippedSteps : nil,
                validationBitsPerByte: validation?.bitsPerByte)
            position.epoch += 1
            position.stepInEpoch = 0
            try onEpoch(report)
        }
        return true
    }

    /// One optimizer step at the current position: `accumulate` micro-steps of gather, forward,
    /// loss and backward; one gradient average across ranks (after the backward pass, or bucket by
    /// bucket during it, or as a sharded update: see `averaging`); clipping; the update. Returns the
    /// sum of the micro-steps' mean losses (this rank's) and records predictions in `metrics`.
    public func step(_ sampler: EpochSampler, metrics: inout ClassificationMetrics?) throws -> Double {
        let localBatch = job.localBatch, width = network.outputWidth
        features.resize(localBatch * data.train.featureCount)
        targets.resize(localBatch * data.train.targetWidth)
        lossGradient.resize(localBatch * width)
        var lossSum = 0.0
        let computeStart = DispatchTime.now().uptimeNanoseconds
        // The control element after the gradients carries "stop requested" from any rank;
        // after averaging it is > 0 on every rank if it was set on one.
        let withControl = network.store.gradientsWithControl
        withControl[withControl.count - 1] = StopRequest.pendingSignal == nil ? 0 : 1
        let overlapping = averaging == .overlap && group.size > 1
        for micro in 0..<job.accumulate {
            sampler.indices(step: position.stepInEpoch, microStep: micro, rank: group.rank, into: &indices)
            data.train.gather(indices[...], features: features.pointer, targets: targets.pointer)
            let context = ForwardContext(training: true, seed: job.seed, step: UInt64(position.globalStep),
                                         rank: UInt64(group.rank), microStep: UInt64(micro))
            let out = network.forward(features.pointer, batch: localBatch, context: context)
            let rows = data.train.task.predictionsPerSample   // a language model is scored at every position
            lossSum += loss.evaluate(outputs: out, targets: targets.pointer, batch: localBatch * rows, width: width / rows,
                                     gradient: lossGradient.pointer, gradientScale: 1 / Float(job.accumulate))
            metrics?.record(logits: out, labels: targets.pointer, batch: localBatch * rows, classes: width / rows)
            if overlapping && micro == job.accumulate - 1 {
                // Each bucket starts averaging as soon as its last layer's gradients are final.
                network.backward(lossGradient.pointer, batch: localBatch, accumulate: micro > 0,
                                 onLayerDone: startBucketsAfterLayer)
            } else {
                network.backward(lossGradient.pointer, batch: localBatch, accumulate: micro > 0)
            }
        }
        let communicateStart = DispatchTime.now().uptimeNanoseconds
        lastLearningRate = schedule.learningRate(atStep: position.globalStep)
        let gradients = network.store.gradients.buffer
        let parameters = network.store.parameters.buffer
        if averaging == .sharded && group.size > 1 {
            // Each rank averages, clips and updates only its shard, then the shards are gathered.
            // The control element rides along: reduced into the last shard's owner, which copies
            // it into the parameters' control element, whose gather brings it to every rank.
            let shardWithControl = try group.averageShard(withControl)
            let shard = shardWithControl.clamped(to: 0..<gradients.count)
            var norm = 0.0
            var finite = true
            if job.optimizer.clipNorm != nil || job.fp16Gradients {   // the only steps that need a sum before the update
                let local = job.fp16Gradients && !allFinite(gradients, shard) ? 1.0 : 0.0
                let sums = try group.sum([job.optimizer.clipNorm != nil ? squaredNorm(gradients, shard) : 0, local])
                norm = sums[0].squareRoot()
                finite = sums[1] == 0
            }
            let updateStart = DispatchTime.now().uptimeNanoseconds
            // The other ranks read this shard of the parameters in the last gather; take its
            // cache lines back before the update rewrites them (see `CacheLines`).
            if reclaimsParameterShard { CacheLines.reclaim(UnsafeMutableBufferPointer(rebasing: parameters[shard])) }
            if finite {
                if let maxNorm = job.optimizer.clipNorm { clipGradients(gradients, shard, norm: norm, maxNorm: Float(maxNorm)) }
                optimizer.step(parameters: parameters, gradients: gradients, learningRate: Float(lastLearningRate), range: shard)
                stateIsSharded = true
            } else {
                skippedSteps += 1
            }
            let parametersWithControl = network.store.parametersWithControl
            let control = parametersWithControl.count - 1
            if shardWithControl.contains(control) { parametersWithControl[control] = withControl[control] }
            let gatherStart = DispatchTime.now().uptimeNanoseconds
            try group.gatherShards(parametersWithControl)
            stopAgreed = parametersWithControl[control] > 0
            let end = DispatchTime.now().uptimeNanoseconds
            phaseTimes.record(compute: communicateStart - computeStart,
                              communicate: (updateStart - communicateStart) + (end - gatherStart),
                              update: gatherStart - updateStart)
        } else {
            if overlapping {
                try group.finishAveraging()
            } else {
                try group.averageGradients(withControl)
            }
            let updateStart = DispatchTime.now().uptimeNanoseconds
            stopAgreed = withControl[withControl.count - 1] > 0
            // Every rank holds the same averaged gradients here, so every rank decides alike.
            if job.fp16Gradients && !allFinite(gradients, 0..<gradients.count) {
                skippedSteps += 1
            } else {
                if let maxNorm = job.optimizer.clipNorm { clipGradientNorm(gradients, maxNorm: Float(maxNorm)) }
                optimizer.step(parameters: parameters, gradients: gradients, learningRate: Float(lastLearningRate))
            }
            phaseTimes.record(compute: communicateStart - computeStart, communicate: updateStart - communicateStart,
                              update: DispatchTime.now().uptimeNanoseconds - updateStart)
        }
        position.stepInEpoch += 1
        position.globalStep += 1
        return lossSum
    }

    /// True when every value of `values[range]` is finite (no fp16 overflow reached the sum).
    private func allFinite(_ values: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>) -> Bool {
        var sum: Float = 0
        for i in range { sum += values[i] * 0 }   // inf * 0 and NaN * 0 are NaN; finite * 0 is 0
        return !sum.isNaN
    }

    /// Switches how the next steps average gradients (benchmarks compare the paths). Leaving
    /// the sharded update first makes the optimizer state whole. Collective: every rank switches
    /// at the same step.
    public func setAveraging(_ newValue: GradientAveraging) throws {
        if newValue != .sharded { try synchronizeOptimizerState() }
        averaging = newValue
    }

    /// Makes every rank's optimizer state whole again after sharded updates (each rank has kept
    /// only its own shard current): gathers every state tensor's shards. Collective (every rank
    /// calls it at the same step); a no-op unless the last steps were sharded. Call before
    /// saving a checkpoint.
    public func synchronizeOptimizerState() throws {
        guard stateIsSharded else { return }
        stateIsSharded = false
        var tensors: [String: [Float]] = [:]
        for (name, var values) in optimizer.stateTensors() {
            // Shards were cut from the gradients plus their control element: cut the same way.
            values.append(0)
            try values.withUnsafeMutableBufferPointer { try group.gatherShards($0) }
            values.removeLast()
            tensors[name] = values
        }
        try optimizer.restoreState(tensors: tensors, stepCount: optimizer.stepCount)
    }

    /// The sampler for the current epoch.
    public func currentSampler() -> EpochSampler {
        EpochSampler(sampleCount: data.train.count, globalBatch: job.batchSize, ranks: group.size,
                     accumulate: job.accumulate, tail: job.tail, seed: job.seed, epoch: position.epoch)
    }

    /// Loss and metrics on `dataset` (e.g. the test split), reduced across ranks.
    public func evaluate(_ dataset: Dataset) throws -> EvaluationResult {
        try evaluator.evaluate(network, on: dataset, loss: loss, batchSize: job.evaluationBatch, group: group)
    }
}
