// GradientExchange: how gradients cross ranks — one all-reduce after backward, buckets
// all-reduced during backward (overlap), or the sharded update — and the stop flag riding along.
//
// The gradients are followed by one control element (ParameterStore's spare): each rank sets it
// to 1 when asked to stop, so after the exchange it is > 0 on every rank if it was set on one. The
// all-reduce strategies average it with the gradients; the sharded update reduces it into the last
// shard's owner, which copies it into the parameters' spare element, whose all-gather brings it back.
// A rank whose training loss is not finite sets it to NaN, which every sum carries to every rank.
// Rank 0 adds a power of two above the rank count when a time-based save is due, so the sum is
// P·save + (ranks asking to stop), and both read back exactly, also through fp16 (`ControlElement`).
import Collective
import Model

/// How a step averages gradients across ranks (all give the same model; see `TrainingJob`).
public enum GradientAveraging: String, Sendable, CaseIterable {
    /// One ring all-reduce after the backward pass: the reference path.
    case oneCall = "one_call"
    /// Buckets all-reduced on a background thread while backward continues (`job.overlap`).
    case overlap
    /// A reduce-scatter, each rank updating only its shard, then an all-gather of the
    /// parameters (`job.sharded_update`).
    case sharded
}

extension TrainingJob {
    /// The averaging this job asks for.
    public var averaging: GradientAveraging {
        overlap ? .overlap : (shardedUpdate ? .sharded : .oneCall)
    }
}

/// What every rank knows about the averaged gradients when it updates its part of the parameters.
public struct AveragedGradients: Sendable {
    /// The elements this rank updates: all of them, or its shard after a reduce-scatter.
    public var shard: Range<Int>
    /// The global L2 norm of the averaged gradients (0 unless the update clips).
    public var norm: Double
    /// False when some averaged value is not finite (an fp16 overflow on the wire): every rank
    /// then skips the update alike.
    public var finite: Bool
}

/// One network's gradient exchange over `collectives`, in Collective's vocabulary.
public final class GradientExchange {
    /// The ranks the gradients cross.
    public let collectives: Collectives
    /// The buckets overlapping uses (`job.bucketBytes`).
    public let buckets: GradientBuckets
    /// Whether gradients travel as fp16 (`job.fp16_gradients`).
    public let halfPrecision: Bool
    /// Whether the update needs the global gradient norm (`optimizer.clip_norm` is set).
    public let needsNorm: Bool
    /// Whether the control element may carry rank 0's time-based save (`checkpoint.every_seconds`
    /// is set); without it the element reads as before, stop when positive.
    public let carriesSaves: Bool
    /// How steps average gradients: the job's (`TrainingJob.averaging`). Changed only through
    /// `Trainer.useAveraging`, which makes the optimizer state whole first when leaving `.sharded`.
    public internal(set) var averaging: GradientAveraging
    /// Whether the sharded update reclaims the parameter shard's cache lines before the update
    /// rewrites them (`CacheLines`). Default true; benchmarks turn it off to show what it saves.
    public var reclaimsParameterShard = true
    /// Told of each collective as it starts and ends (set through `Trainer.observer`; default nil).
    public internal(set) var observer: (any StepObserver)?
    private let gradients: UnsafeMutableBufferPointer<Float>    // with the control element
    private let parameters: UnsafeMutableBufferPointer<Float>   // with the control element
    private var control: Int { gradients.count - 1 }
    /// Starts the all-reduce of each bucket that is complete once backward has finished a layer.
    /// Made once, so an overlapped step allocates no closure.
    private let startBucketsAfterLayer: (Int) -> Void

    /// The exchange for `store`'s gradients, whose layers own `layerRanges` (in layer order).
    public init(store: ParameterStore, layerRanges: [Range<Int>], job: TrainingJob, collectives: Collectives) {
        self.collectives = collectives
        averaging = job.averaging
        halfPrecision = job.fp16Gradients
        needsNorm = job.optimizer.clipNorm != nil
        carriesSaves = job.checkpoint.everySeconds > 0
        gradients = Self.withControl(store.gradients)
        parameters = Self.withControl(store.parameters)
        let plan = GradientBuckets(layerRanges: layerRanges, minimumBytes: job.bucketBytes)
        buckets = plan
        // `cluster.allreduce: auto` decides now, for what a step sends, before anything is cut
        // into shards; rank 0 says what.
        let elements = store.gradients.count + 1, half = job.fp16Gradients
        let transfers = switch job.averaging {
        case .oneCall: [AllReduceTransfer(elements: elements, halfWire: half, gathersParameters: false)]
        case .sharded: [AllReduceTransfer(elements: elements, halfWire: half, gathersParameters: true)]
        case .overlap: plan.buckets.map { AllReduceTransfer(elements: $0.elements.count, halfWire: half, gathersParameters: false) }
        }
        if let decision = collectives.settleAllReduce(transfers: transfers), collectives.rank == 0 {
            Log.logger.notice("\(AllReduceNote.text(decision))")
        }
        startBucketsAfterLayer = { [collectives, gradients, halfPrecision] layer in
            for bucket in plan.buckets where bucket.readyAfterLayer == layer {
                collectives.startAllReduce(UnsafeMutableBufferPointer(rebasing: gradients[bucket.elements]),
                                           op: .average, halfPrecision: halfPrecision)
            }
        }
    }

    /// Sums a small buffer across ranks in place: the capability a layer that reduces across
    /// ranks in its forward or backward pass (synchronised batch norm) is handed. Safe at any
    /// point of a step, also while overlapped buckets are in flight: `Collectives` first finishes
    /// those (in order, on every rank alike), then sums on the calling thread. Always fp32.
    public var crossRankSum: (UnsafeMutableBufferPointer<Float>) throws -> Void {
        { [collectives] buffer in try collectives.allReduce(buffer, op: .sum) }
    }

    /// Records whether this rank was asked to stop, in the control element, and on rank 0 whether
    /// a time-based save is due (`saveDue`, default false; ignored on other ranks, since rank 0
    /// alone decides, and without `carriesSaves`); call before backward.
    public func markStopRequest(saveDue: Bool = false) {
        gradients[control] = ControlElement.mark(stop: StopRequest.pendingSignal != nil, save: saveDue && carriesSaves && collectives.rank == 0,
                                                 rank: collectives.rank, ranks: collectives.size)
    }

    /// Records that this rank's training loss of this step is not finite (the control element
    /// becomes NaN, and so does its sum on every rank); call before the last backward.
    public func markNonFiniteLoss() {
        gradients[control] = .nan
    }

    /// Whether every rank's training loss was finite in the last exchange (`markNonFiniteLoss`).
    public private(set) var lossWasFinite = true

    /// Set before a step to measure this rank's share of the averaged gradients' squared L2 norm
    /// in its exchange (`measuredSquaredNorm`; the shares sum to the whole across ranks).
    public var measuresNorm = false
    /// This rank's share of the last measured step's squared gradient norm, before clipping.
    public private(set) var measuredSquaredNorm = 0.0

    /// Whether rank 0 marked a time-based save due in the last exchange (false when a loss was not
    /// finite: the run then stops without saving). The same on every rank.
    public private(set) var saveWasDue = false

    /// What backward should be told as it finishes each layer: with overlap, on the last
    /// micro-step, start the buckets that are then complete; otherwise nothing.
    public func backwardHook(lastMicroStep: Bool) -> ((Int) -> Void)? {
        averaging == .overlap && lastMicroStep && collectives.size > 1 ? startBucketsAfterLayer : nil
    }

    /// Averages the gradients across ranks as `averaging` says (with one rank: nothing to send)
    /// and runs `update` with what every rank then knows. Returns true when any rank asked to stop.
    public func exchange(update: (AveragedGradients) -> Void) throws -> Bool {
        guard collectives.size > 1 else { return updateEverything(update) }   // one rank: nothing to send
        switch averaging {
        case .oneCall: return try allReduceAfterBackward(update)
        case .overlap: return try finishOverlappedBuckets(update)
        case .sharded: return try shardedUpdate(update)
        }
    }

    /// One all-reduce of the gradients and the control element after backward.
    private func allReduceAfterBackward(_ update: (AveragedGradients) -> Void) throws -> Bool {
        observer?.phaseBegan(allReducePhase)
        try collectives.allReduce(gradients, op: .average, halfPrecision: halfPrecision)
        observer?.phaseEnded(allReducePhase)
        return updateEverything(update)
    }

    /// The buckets started during backward (`backwardHook`) only need to finish.
    private func finishOverlappedBuckets(_ update: (AveragedGradients) -> Void) throws -> Bool {
        observer?.phaseBegan(allReducePhase)
        try collectives.finishAllReduces()
        observer?.phaseEnded(allReducePhase)
        return updateEverything(update)
    }

    /// Every rank holds the same averaged gradients, so every rank decides alike.
    private func updateEverything(_ update: (AveragedGradients) -> Void) -> Bool {
        let all = 0..<control
        let values = UnsafeMutableBufferPointer(rebasing: gradients[all])
        if measuresNorm { measuredSquaredNorm = squaredNorm(values, collectives.ownedSegment(length: gradients.count).clamped(to: all)) }
        update(AveragedGradients(shard: all, norm: needsNorm ? shardwiseSquaredNorm(values).squareRoot() : 0,
                                 finite: !halfPrecision || allFinite(values, all)))
        return read(gradients[control])
    }

    /// Reads the exchanged control element into `lossWasFinite` and `saveWasDue`; returns
    /// whether any rank asked to stop. Without time-based saves, as it always read: stop when > 0.
    private func read(_ value: Float) -> Bool {
        guard carriesSaves else {
            lossWasFinite = !value.isNaN
            return value > 0
        }
        let signal = ControlElement.read(value, ranks: collectives.size)
        lossWasFinite = signal.lossFinite
        saveWasDue = signal.save
        return signal.stop
    }

    /// Σ g² summed shard by shard in rank order, as the sharded update's `collectives.sum` adds
    /// the ranks' parts, so both paths clip by the same norm to the last bit.
    private func shardwiseSquaredNorm(_ values: UnsafeMutableBufferPointer<Float>) -> Double {
        var total = 0.0
        for rank in 0..<collectives.size {
            let shard = collectives.ownedSegment(length: gradients.count, rank: rank)
            total += squaredNorm(values, shard.clamped(to: 0..<control))
        }
        return total
    }

    /// Reduce-scatter; each rank updates its shard of the parameters (norm and finiteness summed
    /// over the shards first when needed); all-gather of the parameters and the control element.
    private func shardedUpdate(_ update: (AveragedGradients) -> Void) throws -> Bool {
        observer?.phaseBegan(reduceScatterPhase)
        let owned = try collectives.reduceScatter(gradients, op: .average, halfPrecision: halfPrecision)
        observer?.phaseEnded(reduceScatterPhase)
        let shard = owned.clamped(to: 0..<control)
        let values = UnsafeMutableBufferPointer(rebasing: gradients[0..<control])
        var averaged = AveragedGradients(shard: shard, norm: 0, finite: true)
        if measuresNorm { measuredSquaredNorm = squaredNorm(values, shard) }
        if needsNorm || halfPrecision {
            let local = halfPrecision && !allFinite(values, shard) ? 1.0 : 0.0
            observer?.phaseBegan(.normSum)
            defer { observer?.phaseEnded(.normSum) }
            let sums = try collectives.sum([needsNorm ? squaredNorm(values, shard) : 0, local])
            averaged.norm = sums[0].squareRoot()
            averaged.finite = sums[1] == 0
        }
        // The other ranks read this shard of the parameters in the last all-gather: take its
        // cache lines back before the update rewrites them.
        if reclaimsParameterShard { CacheLines.reclaim(UnsafeMutableBufferPointer(rebasing: parameters[shard])) }
        update(averaged)
        if owned.contains(control) { parameters[control] = gradients[control] }
        observer?.phaseBegan(allGatherPhase)
        try collectives.allGather(segments: parameters)
        observer?.phaseEnded(allGatherPhase)
        return read(parameters[control])
    }

    /// Payload bytes of the gradient (and parameter) buffer with its control element, in fp32.
    private var payloadBytes: Int { gradients.count * MemoryLayout<Float>.size }

    /// The collectives' phases as an observer is told of them, with the bytes this rank sends:
    /// with overlap, each bucket is all-reduced on its own; through shared memory, none.
    private var allReducePhase: StepPhase {
        func wire(_ range: Range<Int>) -> Int {
            collectives.runsInSharedMemory(UnsafeMutableBufferPointer(rebasing: gradients[range]), allReduce: true) ? 0
                : collectives.wireBytes(allReduce: range.count * 4, halfPrecision: halfPrecision)
        }
        let bytes = averaging == .overlap ? buckets.buckets.reduce(0) { $0 + wire($1.elements) } : wire(0..<gradients.count)
        return .allReduce(bytes: payloadBytes, wireBytes: bytes)
    }
    private var reduceScatterPhase: StepPhase {
        .reduceScatter(bytes: payloadBytes, wireBytes: collectives.runsInSharedMemory(gradients) ? 0
                       : collectives.wireBytes(reduceScatter: payloadBytes, halfPrecision: halfPrecision))
    }
    private var allGatherPhase: StepPhase {
        .allGather(bytes: payloadBytes, wireBytes: collectives.runsInSharedMemory(parameters) ? 0 : collectives.wireBytes(allGather: payloadBytes))
    }

    /// `buffer` and the spare element ParameterStore keeps after it (fixed storage for the run).
    static func withControl(_ buffer: FloatBuffer) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: buffer.pointer, count: buffer.count + 1)
    }

    /// The elements `rank` (default this rank) updates at each step with `averaging`: its shard
    /// under the sharded update with several ranks (cut as the reduce-scatter cuts the gradients),
    /// else every parameter. Optimizer state kept for these elements is all a rank needs.
    public func updatedElements(averaging: GradientAveraging, rank: Int? = nil) -> Range<Int> {
        guard averaging == .sharded && collectives.size > 1 else { return 0..<control }
        return collectives.ownedSegment(length: gradients.count, rank: rank).clamped(to: 0..<control)
    }

    /// Every rank's shard of the sharded update, in rank order (they tile the parameters).
    public var shards: [Range<Int>] {
        (0..<collectives.size).map { updatedElements(averaging: .sharded, rank: $0) }
    }

    /// Completes a tensor laid out like the parameters (optimizer state) of which each rank holds
    /// only its own shard (`part`): all-gathers the shards, cut as the gradients were.
    public func allGatherShards(_ part: [Float]) throws -> [Float] {
        let shard = updatedElements(averaging: .sharded)
        precondition(part.count == shard.count, "expected \(shard.count) values, got \(part.count)")
        var whole = [Float](repeating: 0, count: gradients.count)   // the cut includes the control element
        whole.replaceSubrange(shard, with: part)
        try whole.withUnsafeMutableBufferPointer { try collectives.allGather(segments: $0) }
        whole.removeLast()
        return whole
    }

    /// True when every value of `values[range]` is finite (no fp16 overflow reached the sum).
    private func allFinite(_ values: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>) -> Bool {
        FiniteValues.all(UnsafeBufferPointer(rebasing: values[range]))
    }
}

/// How the flat gradient buffer is cut into buckets for overlap: which bucket is complete after
/// which layer. Backward visits layers last to first, and each layer's parameters are one
/// contiguous range, so walking layers backwards and closing a bucket once it holds
/// `minimumBytes` gives contiguous buckets from the end of the buffer towards its start. The
/// first bucket also takes the control element that follows the gradients.
public struct GradientBuckets: Sendable, Equatable {
    /// One bucket: the elements it covers and the layer after whose backward it is complete.
    public struct Bucket: Sendable, Equatable {
        public var elements: Range<Int>
        public var readyAfterLayer: Int
    }

    /// Buckets in the order they become ready (last layers first).
    public let buckets: [Bucket]

    /// Plans buckets over `layerRanges` (each layer's parameter elements, in layer order,
    /// contiguous) followed by `controlElements` extra elements (default 1), each bucket holding
    /// at least `minimumBytes` of fp32 unless it is the last one.
    public init(layerRanges: [Range<Int>], controlElements: Int = 1, minimumBytes: Int) {
        precondition(minimumBytes > 0)
        let minimum = max(1, minimumBytes / 4)
        var result: [Bucket] = []
        let total = (layerRanges.last(where: { !$0.isEmpty })?.upperBound ?? 0)
        var end = total + controlElements   // the open bucket is [start, end)
        var start = end
        let parameterised = layerRanges.indices.filter { !layerRanges[$0].isEmpty }
        for index in parameterised.reversed() {
            start = layerRanges[index].lowerBound
            if end - start >= minimum || index == parameterised.first {
                result.append(Bucket(elements: start..<end, readyAfterLayer: index))
                end = start
            }
        }
        if parameterised.isEmpty && end > 0 {
            result.append(Bucket(elements: 0..<end, readyAfterLayer: layerRanges.count - 1))
        }
        buckets = result
    }
}
