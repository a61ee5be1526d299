// CacheLines: taking back a buffer's cache lines after a peer process has read them through
// shared memory, so that rewriting the buffer is not slowed by the peer's cached copies.
import CSIMD

/// Open MPI's shared-memory transport copies large messages straight out of the sender's
/// buffer (single-copy, CMA), which leaves copies of those cache lines in the reader's cache.
/// The sender's next write to each line must first invalidate the reader's copy. When the two
/// cores sit far apart, an ordinary loop's stores pay that one line at a time, stalling the
/// sharded update. `reclaim` claims the lines in a loop that does nothing else, which the core
/// overlaps (figures: docs/benchmarks.md, "Where constants in the code came from").
public enum CacheLines {
    /// Rewrites one value of every cache line of `buffer`, unchanged. Call it on a buffer a
    /// peer has finished reading (its send completed), before overwriting the buffer. Values
    /// never change, so it is correct whenever no other thread writes `buffer` meanwhile.
    public static func reclaim(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard let start = buffer.baseAddress, !buffer.isEmpty else { return }
        csimd_reclaim_lines(start, buffer.count * MemoryLayout<Float>.stride)
    }
}
