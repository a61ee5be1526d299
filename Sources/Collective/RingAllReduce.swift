// RingAllReduce: in-place ring all-reduce (reduce-scatter then all-gather, 2(N-1) steps).
// Segmented and pipelined: each ring segment travels in chunks, and a chunk is forwarded as soon as it is reduced.
// Segments up to `wholeSegmentElements` travel as one message: there, where everything is in cache,
// per-message costs outweigh pipelining (figures in docs/benchmarks.md).
//
// Rank r at step g (0 ..< 2(N-1)) sends segment (r - g) mod N to its right neighbour and receives
// segment (r - g - 1) mod N from its left one. Steps 0 ..< N-1 add what arrives into the buffer
// (reduce-scatter; after them rank r owns the full sum of segment r + 1); the later steps copy it
// in (all-gather). Every message carries the caller's buffer length in its tag, so ranks that
// disagree on the length get a CollectiveError naming both lengths instead of a hang.

/// Which steps of the ring a call runs: all of them, or one half. A reduce-scatter leaves
/// each rank with the full sum of one segment (`ownedSegment`); an all-gather then spreads
/// each rank's owned segment to all (together: the all-reduce).
enum RingPhases {
    case all, reduceScatter, allGather
}

/// The ring all-reduce with its reusable scratch. Not thread-safe; owned by `Collectives`.
final class RingAllReduce {
    private let comm: any Communicator
    private let chunkElements: Int
    private let wholeSegmentElements: Int
    private let depth: Int

    // Reused across calls; grown, never shrunk. Raw memory so no per-call allocation once warm.
    private var scratch: UnsafeMutableRawPointer? = nil      // up to depth slots of one chunk (fp32)
    private var scratchBytes = 0
    private var shadow: UnsafeMutablePointer<UInt16>? = nil  // fp16 copy of the buffer (fp16 wire only)
    private var shadowCapacity = 0
    private var sendRequests: [CommRequest] = []
    private var sendPosted: [Bool] = []
    private var receiveRequests: [CommRequest]
    private var stepStart: [Int] = []

    init(comm: any Communicator, chunkElements: Int, wholeSegmentElements: Int, depth: Int) {
        precondition(chunkElements > 0 && depth > 0 && wholeSegmentElements >= 0)
        self.comm = comm
        self.chunkElements = chunkElements
        self.wholeSegmentElements = wholeSegmentElements
        self.depth = depth
        receiveRequests = Array(repeating: CommRequest(handle: 0), count: depth)
    }

    deinit {
        scratch?.deallocate()
        shadow?.deallocate()
    }

    /// Segment `i` of a `length`-element buffer cut into `size` segments; the first
    /// length % size segments are one element longer.
    static func segment(_ i: Int, length: Int, size: Int) -> Range<Int> {
        let q = length / size, extra = length % size
        let start = i * q + min(i, extra)
        return start..<(start + q + (i < extra ? 1 : 0))
    }

    /// The elements of a `length`-element buffer that `rank` of `size` holds fully reduced after
    /// a reduce-scatter: segment rank + 1.
    static func ownedSegment(length: Int, rank: Int, size: Int) -> Range<Int> {
        size > 1 ? segment((rank + 1) % size, length: length, size: size) : 0..<length
    }

    /// Sums (or averages) `buffer` across all ranks, in place, running the steps `phases` names.
    /// `halfWire` sends fp16 (callers gathering values that must stay exact pass false). `scale`
    /// (default nil: 1/N for `.average`, else 1) multiplies the sums once, at the last reduce step.
    func run(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp, scale: Float? = nil, halfWire: Bool,
             phases: RingPhases = .all) throws {
        let n = comm.size
        guard n > 1 else { return }
        let r = comm.rank
        let length = buffer.count
        let base = buffer.baseAddress ?? UnsafeMutablePointer<Float>(bitPattern: 16)!
        let wireSize = halfWire ? 2 : 4
        let tag = length % (comm.maxTag + 1)

        func segStart(_ i: Int) -> Int { Self.segment(i, length: length, size: n).lowerBound }
        func segLength(_ i: Int) -> Int { Self.segment(i, length: length, size: n).count }
        let largestSegment = segLength(0)
        let c = largestSegment <= wholeSegmentElements ? max(1, largestSegment) : chunkElements
        func chunks(_ i: Int) -> Int { max(1, (segLength(i) + c - 1) / c) }
        func chunkRange(_ seg: Int, _ k: Int) -> (start: Int, count: Int) {
            let offset = k * c
            return (segStart(seg) + offset, max(0, min(c, segLength(seg) - offset)))
        }
        func sendSeg(_ g: Int) -> Int { ((r - g) % n + n) % n }
        func recvSeg(_ g: Int) -> Int { ((r - g - 1) % n + n) % n }

        let steps = 2 * (n - 1)
        let (firstStep, endStep) = switch phases {
        case .all: (0, steps)
        case .reduceScatter: (0, n - 1)
        case .allGather: (n - 1, steps)
        }
        let maxChunks = chunks(0)
        try prepare(steps: steps, maxChunks: maxChunks, length: length, halfWire: halfWire,
                    scratchBytes: min(depth, (n - 1) * maxChunks) * c * 4)
        stepStart[0] = 0
        for g in 0..<steps { stepStart[g + 1] = stepStart[g] + chunks(recvSeg(g)) }
        let total = stepStart[endStep]
        let scratchBase = scratch!
        let slotBytes = c * 4
        let finalFactor: Float = scale ?? (op == .average ? 1 / Float(n) : 1)

        func startSend(_ g: Int, _ k: Int) throws {
            let seg = sendSeg(g)
            let (start, count) = chunkRange(seg, k)
            let bytes: UnsafeRawBufferPointer
            if halfWire {
                let wire = shadow! + start
                if g < n { HalfPrecision.encode(base + start, into: wire, count: count) }
                bytes = UnsafeRawBufferPointer(start: wire, count: count * 2)
            } else {
                bytes = UnsafeRawBufferPointer(start: base + start, count: count * 4)
            }
            sendRequests[g * maxChunks + k] = try comm.startSend(bytes, to: comm.rightNeighbor, tag: tag)
            sendPosted[g * maxChunks + k] = true
        }
        func finishSend(_ g: Int, _ k: Int) throws {
            let i = g * maxChunks + k
            guard sendPosted[i] else { return }
            try comm.wait(sendRequests[i])
            sendPosted[i] = false
        }

        // Receive cursor (g, k) for the next receive to post, with its sequence number.
        var postG = firstStep, postK = 0, posted = stepStart[firstStep], completed = stepStart[firstStep]
        func canPost() -> Bool {
            guard posted < total, posted - completed < depth else { return false }
            if postG < n - 1 { return true }
            // All-gather receives land where an earlier send came from: that send must exist.
            let t = postG - (n - 1)
            return t == 0 || stepStart[t - 1] + postK < completed
        }
        func postReceives() throws {
            while canPost() {
                let seg = recvSeg(postG)
                let (start, count) = chunkRange(seg, postK)
                let target: UnsafeMutableRawBufferPointer
                if postG < n - 1 {
                    target = UnsafeMutableRawBufferPointer(
                        start: scratchBase + (posted % depth) * slotBytes, count: count * wireSize)
                } else {
                    try finishSend(postG - (n - 1), postK)
                    target = halfWire
                        ? UnsafeMutableRawBufferPointer(start: shadow! + start, count: count * 2)
                        : UnsafeMutableRawBufferPointer(start: base + start, count: count * 4)
                }
                receiveRequests[posted % depth] = try comm.startReceive(
                    into: target, from: comm.leftNeighbor, tag: nil)
                posted += 1
                postK += 1
                if postK == chunks(seg) { postK = 0; postG += 1 }
            }
        }

        for k in 0..<chunks(sendSeg(firstStep)) { try startSend(firstStep, k) }
        try postReceives()
        var g = firstStep, k = 0
        while completed < total {
            let seg = recvSeg(g)
            let (start, count) = chunkRange(seg, k)
            try awaitReceive(receiveRequests[completed % depth], expectedBytes: count * wireSize,
                             tag: tag, length: length)
            if g < n - 1 {
                let slot = scratchBase + (completed % depth) * slotBytes
                let factor: Float = g == n - 2 ? finalFactor : 1
                if halfWire {
                    HalfPrecision.accumulate(base + start, slot.assumingMemoryBound(to: UInt16.self),
                                             count: count, factor: factor)
                    if g == n - 2 { HalfPrecision.round(base + start, count: count) }
                } else if factor == 1 {
                    Kernels.accumulate(base + start, slot.assumingMemoryBound(to: Float.self), count: count)
                } else {
                    Kernels.accumulateScaled(base + start, slot.assumingMemoryBound(to: Float.self),
                                             count: count, factor: factor)
                }
            } else if halfWire {
                HalfPrecision.decode(shadow! + start, into: base + start, count: count)
            }
            if g + 1 < endStep { try startSend(g + 1, k) }
            completed += 1
            k += 1
            if k == chunks(seg) { k = 0; g += 1 }
            try postReceives()
        }
        for g in firstStep..<endStep {
            for k in 0..<maxChunks { try finishSend(g, k) }
        }
    }

    /// Waits for a receive and checks it came from a rank with the same buffer length.
    private func awaitReceive(_ request: CommRequest, expectedBytes: Int, tag: Int, length: Int) throws {
        let status: CommStatus
        do {
            status = try comm.wait(request)
        } catch let error as CollectiveError {
            if let received = error.receivedTag, received != tag {
                throw mismatch(length: length, remote: received)
            }
            throw error
        }
        if status.tag != tag || status.byteCount != expectedBytes {
            throw mismatch(length: length, remote: status.tag)
        }
    }

    private func mismatch(length: Int, remote: Int) -> CollectiveError {
        .lengthMismatch(call: "allReduce", rank: comm.worldRank(comm.rank), local: length, remote: remote,
                        remoteRank: comm.worldRank(comm.leftNeighbor), unit: "elements")
    }

    /// Grows the scratch (never shrinks) so this call allocates nothing once warmed up.
    private func prepare(steps: Int, maxChunks: Int, length: Int, halfWire: Bool, scratchBytes needed: Int) throws {
        if scratch == nil || scratchBytes < needed {
            scratch?.deallocate()
            scratchBytes = max(needed, 64)
            scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64)
        }
        if halfWire && shadowCapacity < length {
            shadow?.deallocate()
            shadow = UnsafeMutablePointer<UInt16>.allocate(capacity: max(length, 1))
            shadowCapacity = length
        }
        if halfWire && shadow == nil {
            shadow = UnsafeMutablePointer<UInt16>.allocate(capacity: 1)
        }
        let requests = steps * maxChunks
        if sendRequests.count < requests {
            sendRequests = Array(repeating: CommRequest(handle: 0), count: requests)
            sendPosted = Array(repeating: false, count: requests)
        }
        if stepStart.count < steps + 1 { stepStart = Array(repeating: 0, count: steps + 1) }
    }
}
