// SharedMemoryAllReduce: the ring's reduce-scatter and all-gather for ranks that map each other's
// buffers (HostSharedMemory) — each rank reads the others' copies of its own segment and adds
// them up, then copies the others' segments from their owners: no messages, no copies in between.
//
// It adds in the ring's order and rounds through fp16 where the ring's wire would, so its results
// equal the flat ring's bit for bit. Barriers fence every read of another rank's memory: when a
// call returns, no rank touches this rank's buffers until the next call.

/// The reduce-scatter and all-gather over `HostSharedMemory`. Not thread-safe; owned by `Collectives`.
final class SharedMemoryAllReduce {
    let memory: HostSharedMemory
    // Grown to a segment when first needed, never shrunk: a running sum (3 ranks or more) and
    // the values as the fp16 wire carries them (fp16 only).
    private var partial = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    private var wire = UnsafeMutableBufferPointer<UInt16>(start: nil, count: 0)

    /// Calls run so far (for tests: proof the path was taken).
    private(set) var calls = 0

    init(memory: HostSharedMemory) { self.memory = memory }

    deinit {
        partial.deallocate()
        wire.deallocate()
    }

    private enum Kind: UInt64 { case all = 1, reduceScatter, allGather }

    /// Runs `phases` of the ring's all-reduce on `buffer`, which lies at `place` in this rank's
    /// buffers (`HostSharedMemory.place(of:)`): every rank must pass the same place and length.
    /// `op`, `scale` and `halfWire` as in `RingAllReduce.run`.
    func run(_ buffer: UnsafeMutableBufferPointer<Float>, at place: (index: Int, offset: Int), op: ReduceOp,
             scale: Float? = nil, halfWire: Bool, phases: RingPhases = .all) throws {
        let n = memory.ranks, r = memory.rank
        guard n > 1, let base = buffer.baseAddress else { return }
        calls += 1
        let (kind, name): (Kind, String) = switch phases {
            case .all: (.all, "all-reduce")
            case .reduceScatter: (.reduceScatter, "reduce-scatter")
            case .allGather: (.allGather, "all-gather")
        }
        let call = HostSharedMemory.Call(kind: kind.rawValue, buffer: UInt64(place.index), offset: UInt64(place.offset),
                                         count: UInt64(buffer.count))
        let owned = RingAllReduce.ownedSegment(length: buffer.count, rank: r, size: n)
        func peerBase(_ rank: Int) -> UnsafeMutablePointer<Float> { memory.buffer(place.index, rank: rank) + place.offset }

        try memory.barrier(call, name: name)           // every rank's buffer (its owned segment, for an all-gather) is final
        if phases != .allGather {
            reduce(into: base, segment: owned, peerBase: peerBase, factor: scale ?? (op == .average ? 1 / Float(n) : 1),
                   halfWire: halfWire)
            try memory.barrier(call, name: name)       // every rank is done reading the others
        }
        if phases != .reduceScatter {
            for owner in 0..<n where owner != r {
                let segment = RingAllReduce.ownedSegment(length: buffer.count, rank: owner, size: n)
                (base + segment.lowerBound).update(from: peerBase(owner) + segment.lowerBound, count: segment.count)
            }
            try memory.barrier(call, name: name)       // every rank is done reading the others
        }
    }

    /// The full sum of `segment` into this rank's `base`, as the ring forms it: segment s starts
    /// at rank s, each next rank adds its own values to what arrives, and its owner (rank s − 1)
    /// adds last and scales; with fp16 on the wire every value that would travel is rounded.
    private func reduce(into base: UnsafeMutablePointer<Float>, segment: Range<Int>,
                        peerBase: (Int) -> UnsafeMutablePointer<Float>, factor: Float, halfWire: Bool) {
        let n = memory.ranks, r = memory.rank, count = segment.count
        guard count > 0 else { return }
        if n > 2 { Self.reserve(&partial, count) }
        if halfWire { Self.reserve(&wire, count) }
        let first = (r + 1) % n                    // the rank where this segment's sum starts
        var arriving = peerBase(first) + segment.lowerBound
        if n > 2 {
            let sum = partial.baseAddress!
            sum.update(from: arriving, count: count)
            for step in 1..<(n - 1) {
                if halfWire { HalfPrecision.round(sum, count: count) }
                Kernels.accumulate(sum, peerBase((first + step) % n) + segment.lowerBound, count: count)
            }
            arriving = sum
        }
        let own = base + segment.lowerBound
        if halfWire {
            HalfPrecision.encode(arriving, into: wire.baseAddress!, count: count)
            HalfPrecision.accumulate(own, wire.baseAddress!, count: count, factor: factor)
            HalfPrecision.round(own, count: count)
        } else if factor == 1 {
            Kernels.accumulate(own, arriving, count: count)
        } else {
            Kernels.accumulateScaled(own, arriving, count: count, factor: factor)
        }
    }

    private static func reserve<T>(_ scratch: inout UnsafeMutableBufferPointer<T>, _ count: Int) {
        guard count > scratch.count else { return }
        scratch.deallocate()
        scratch = .allocate(capacity: count)
    }
}
