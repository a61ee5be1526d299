// ProcessGroup: the few collective operations the training loop needs from its peers,
// so the loop is written once for one process and for N ranks under mpirun.

/// The ranks training one model together.
public protocol ProcessGroup: AnyObject {
    /// This process's rank, 0-based.
    var rank: Int { get }
    /// Number of ranks.
    var size: Int { get }
    /// Replaces `gradients` on every rank by their mean over the ranks.
    func averageGradients(_ gradients: UnsafeMutableBufferPointer<Float>) throws
    /// Element-wise sum of `values` over the ranks (small vectors: metric counts).
    func sum(_ values: [Double]) throws -> [Double]
    /// Copies rank 0's `buffer` to every rank.
    func broadcastFromRoot(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Starts replacing `bucket` (part of the gradients) by its mean over the ranks and returns
    /// without waiting, so the caller can keep computing. The bucket must stay untouched, and no
    /// other call may be made on the group, until `finishAveraging` returns.
    func startAveraging(_ bucket: UnsafeMutableBufferPointer<Float>)
    /// Blocks until every bucket passed to `startAveraging` is averaged; throws what failed.
    func finishAveraging() throws
    /// First half of a sharded update: replaces this rank's shard of `gradients` by its mean
    /// over the ranks and returns the shard (the other elements are left partial). The shards
    /// of all ranks tile the buffer.
    func averageShard(_ gradients: UnsafeMutableBufferPointer<Float>) throws -> Range<Int>
    /// Second half: copies every rank's shard of `values` (the ranges `averageShard` returns
    /// for a buffer of this length) to every rank, exactly.
    func gatherShards(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// Rank 0 runs `body` (e.g. writing a checkpoint, `what` says so) while the other ranks wait
    /// for it, their wait bounded as a wait on a busy peer rather than on a dead one. Throws on
    /// every rank if `body` threw on rank 0 (there, its own error).
    func whileRootWorks(_ what: String, _ body: () throws -> Void) throws
}

/// The group of one: every operation is the identity.
public final class SingleProcessGroup: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func averageGradients(_ gradients: UnsafeMutableBufferPointer<Float>) throws {}
    public func sum(_ values: [Double]) throws -> [Double] { values }
    public func broadcastFromRoot(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    public func startAveraging(_ bucket: UnsafeMutableBufferPointer<Float>) {}
    public func finishAveraging() throws {}
    public func averageShard(_ gradients: UnsafeMutableBufferPointer<Float>) throws -> Range<Int> { 0..<gradients.count }
    public func gatherShards(_ values: UnsafeMutableBufferPointer<Float>) throws {}
    public func whileRootWorks(_ what: String, _ body: () throws -> Void) throws { try body() }
}
