// ReduceOp: what an all-reduce computes from the ranks' buffers.
// Averaging is a sum followed by one scale by 1/N, done in exactly one place (the ring's last step).

/// The reduction an all-reduce applies element-wise across ranks.
public enum ReduceOp: String, Sendable, CaseIterable {
    /// Element-wise sum over ranks.
    case sum
    /// Element-wise sum over ranks, then multiplied by 1/N.
    case average
}
