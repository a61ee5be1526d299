// Collectives: the collective operations the trainer calls, over any Communicator.
// Created once per communicator; holds the reusable scratch so steady-state calls allocate nothing.

/// Tunables of `Collectives`.
public struct CollectiveOptions: Sendable, Equatable {
    /// Elements per pipelined all-reduce chunk (message size = 4 × this, 2 × with fp16).
    /// Default 65_536 (256 KiB): in `ringtrain bench allreduce` sweeps of 16 Ki / 64 Ki / 256 Ki
    /// elements (2 ranks, shared memory) it was best at 16 MB and within noise of best at 64 MB.
    public var chunkElements: Int
    /// Ring segments (buffer / N) of at most this many elements travel whole, as one message
    /// per step, instead of in chunks: in `ringtrain bench allreduce` on 2 ranks, whole segments
    /// were 5–10% faster from 1 MB to 4 MB and chunks were faster from 16 MB. Default 524_288
    /// (2 MiB segments). 0 always chunks.
    public var wholeSegmentElements: Int
    /// All-reduce receives kept in flight per rank. Default 4.
    public var pipelineDepth: Int
    /// Send fp16 on the wire and accumulate in fp32 (halves traffic, ~3 significant digits).
    /// Default false.
    public var halfPrecisionWire: Bool
    /// Bytes per broadcast chunk. Default 262_144 (256 KiB).
    public var broadcastChunkBytes: Int
    /// Buffers of at most this many bytes skip the ring and use one all-to-all exchange (one
    /// message time instead of 2(N-1); fp32 on the wire), sent in `smallMessagePieceBytes` pieces.
    /// The threshold is where `bench allreduce` found the ring faster (docs/benchmarks.md).
    /// 0 turns it off. Default 16_384 (16 KiB).
    public var smallMessageBytes: Int
    /// Largest message of the one-round exchange: pieces this small stay under Open MPI's
    /// shared-memory eager limit (4 KiB including its header), so they need no rendezvous.
    /// Default 4_000.
    public var smallMessagePieceBytes: Int

    public init(chunkElements: Int = 65_536, wholeSegmentElements: Int = 524_288, pipelineDepth: Int = 4,
                halfPrecisionWire: Bool = false, broadcastChunkBytes: Int = 262_144,
                smallMessageBytes: Int = 16_384, smallMessagePieceBytes: Int = 4_000) {
        precondition(chunkElements > 0 && pipelineDepth > 0 && broadcastChunkBytes > 0)
        precondition(smallMessageBytes >= 0 && wholeSegmentElements >= 0 && smallMessagePieceBytes > 0)
        self.smallMessagePieceBytes = smallMessagePieceBytes
        self.wholeSegmentElements = wholeSegmentElements
        self.smallMessageBytes = smallMessageBytes
        self.chunkElements = chunkElements
        self.pipelineDepth = pipelineDepth
        self.halfPrecisionWire = halfPrecisionWire
        self.broadcastChunkBytes = broadcastChunkBytes
    }
}

/// Ring all-reduce, broadcast, all-gather and barrier over one communicator.
///
/// Every rank must make the same sequence of calls with the same lengths (like MPI collectives);
/// ranks disagreeing on a length get a `CollectiveError` naming both lengths. With one rank every
/// call returns at once. After any thrown error the group is out of step: end the run.
/// Not thread-safe: use from one thread at a time (MPI runs MPI_THREAD_SERIALIZED);
/// `BackgroundAllReduce` hands it to its own thread while buckets are in flight.
public final class Collectives {
    /// The transport underneath.
    public let communicator: any Communicator
    /// The options this instance was created with.
    public let options: CollectiveOptions
    private let ring: RingAllReduce
    private let chain: ChainBroadcast
    private let direct: DirectAllReduce

    /// Creates the collectives for `communicator` with `options` (defaults: see CollectiveOptions).
    public init(_ communicator: any Communicator, options: CollectiveOptions = CollectiveOptions()) {
        self.communicator = communicator
        self.options = options
        ring = RingAllReduce(comm: communicator, chunkElements: options.chunkElements,
                             wholeSegmentElements: options.wholeSegmentElements, depth: options.pipelineDepth)
        chain = ChainBroadcast(comm: communicator, chunkBytes: options.broadcastChunkBytes)
        direct = DirectAllReduce(comm: communicator, pieceBytes: options.smallMessagePieceBytes)
    }

    /// This rank.
    public var rank: Int { communicator.rank }
    /// Number of ranks.
    public var size: Int { communicator.size }

    /// Reduces `buffer` across ranks in place with the ring (reduce-scatter, then all-gather).
    /// `op` defaults to `.sum`; `.average` sums then scales by 1/N. Any length, including 0.
    /// Buffers up to `options.smallMessageBytes` use a one-round all-to-all exchange instead.
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp = .sum) throws {
        guard size > 1 else { return }
        if buffer.count * 4 <= options.smallMessageBytes {
            try direct.run(buffer, op: op)
            return
        }
        try ring.run(buffer, op: op, halfWire: options.halfPrecisionWire)
    }

    /// The first half of the ring all-reduce: afterwards this rank holds the full sum (or mean)
    /// of the returned elements of `buffer`; the rest of `buffer` is partial. Every rank owns a
    /// different range, and together they cover the buffer. Follow with `allGather(segments:)`
    /// to finish an all-reduce, possibly after changing the owned elements (a sharded update).
    @discardableResult
    public func reduceScatter(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp = .sum) throws -> Range<Int> {
        guard size > 1 else { return 0..<buffer.count }
        try ring.run(buffer, op: op, halfWire: options.halfPrecisionWire, phases: .reduceScatter)
        return ownedSegment(length: buffer.count)
    }

    /// The second half of the ring all-reduce: every rank's owned range of `buffer` (see
    /// `reduceScatter`) is copied to every other rank. Always fp32 on the wire, so the values
    /// arrive exactly.
    public func allGather(segments buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard size > 1 else { return }
        try ring.run(buffer, op: .sum, halfWire: false, phases: .allGather)
    }

    /// The range of a `length`-element buffer this rank owns after `reduceScatter`.
    public func ownedSegment(length: Int) -> Range<Int> {
        RingAllReduce.ownedSegment(length: length, rank: rank, size: size)
    }

    /// Convenience for arrays: `allReduce` over the array's storage.
    public func allReduce(_ array: inout [Float], op: ReduceOp = .sum) throws {
        try array.withUnsafeMutableBufferPointer { try allReduce($0, op: op) }
    }

    /// Copies `root`'s `buffer` into every rank's `buffer` (same length on every rank).
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        try chain.run(UnsafeMutableRawBufferPointer(buffer), root: root)
    }

    /// Copies `root`'s bytes into every rank's `bytes` (same length on every rank).
    public func broadcast(bytes: UnsafeMutableRawBufferPointer, root: Int) throws {
        try chain.run(bytes, root: root)
    }

    /// Returns `root`'s `bytes` on every rank; the others' argument is ignored, so they may pass
    /// `[]`. Sends the length first, then the payload (e.g. the run's config text).
    public func broadcast(_ bytes: [UInt8], root: Int) throws -> [UInt8] {
        guard size > 1 else { return bytes }
        var count = Int64(rank == root ? bytes.count : 0)
        try withUnsafeMutableBytes(of: &count) { try chain.run($0, root: root) }
        var result = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count))
        try result.withUnsafeMutableBytes { try chain.run($0, root: root) }
        return result
    }

    /// Gathers every rank's `values` (same count on every rank) and returns them indexed by rank.
    public func allGather(_ values: [Double]) throws -> [[Double]] {
        try RingAllGather.run(communicator, values: values)
    }

    /// Blocks until every rank arrives.
    public func barrier() throws {
        guard size > 1 else { return }
        try communicator.barrier()
    }
}
