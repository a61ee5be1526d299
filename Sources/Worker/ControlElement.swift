// ControlElement: what the element after the gradients tells every rank — any rank asked to stop,
// rank 0 found a time-based save due, some rank's training loss was not finite — and how it reads.
//
// Each rank puts 1 there when asked to stop, 0 otherwise; rank 0 adds P, the smallest power of two
// above the rank count N, when a save is due; a rank whose loss is not finite puts NaN (which every
// sum carries, so it wins). The exchange sums the element and scales it by 1/N (the sharded update
// copies that mean into the parameters' all-gather, which sends fp32). So every rank reads
// k = round(value × N) = P·save + stops, with stops ≤ N < P, and both parts come back exactly:
// - fp32: the partial sums are small integers (exact) and the mean is off by k·2⁻²³ at most;
// - fp16 wire (`job.fp16_gradients`): partial sums travel as fp16, exact for integers up to 2048,
//   and the mean is rounded to fp16, off by at most k·2⁻¹¹ (plus k·2⁻²³), under ½ while k < 1024,
//   i.e. P + N < 1024: up to `halfPrecisionRankLimit` (511) ranks. `JobDataCheck` refuses more
//   ranks with fp16 gradients and `checkpoint.every_seconds`; stop alone needs only a positive sum.

/// The encoding of the control element (`GradientExchange`), as pure functions.
public enum ControlElement {
    /// What the exchanged control element says, the same on every rank.
    public struct Signal: Sendable, Equatable {
        /// Some rank asked to stop (a signal).
        public var stop: Bool
        /// Rank 0 found a time-based save due.
        public var save: Bool
        /// Every rank's training loss was finite (false: NaN won; `stop` and `save` are then false).
        public var lossFinite: Bool
    }

    /// The most ranks whose save and stop marks read back exactly when the gradients travel as
    /// fp16: P + N < 1024 with P the power of two above N.
    public static let halfPrecisionRankLimit = 511

    /// What rank 0 adds for a save due among `ranks` ranks: the smallest power of two above `ranks`,
    /// so no number of stop requests (1 each) reaches it.
    public static func saveMark(ranks: Int) -> Float {
        precondition(ranks >= 1, "at least one rank")
        return Float(1 << (Int.bitWidth - (ranks).leadingZeroBitCount))
    }

    /// The value one rank contributes: 1 when asked to stop, plus `saveMark` from rank 0 when a
    /// save is due (`save` on another rank is a programmer mistake).
    public static func mark(stop: Bool, save: Bool, rank: Int, ranks: Int) -> Float {
        precondition(!save || rank == 0, "only rank 0 decides when a time-based save is due")
        return (stop ? 1 : 0) + (save ? saveMark(ranks: ranks) : 0)
    }

    /// Reads the control element after the exchange among `ranks` ranks (its mean over the ranks;
    /// with one rank, its own value).
    public static func read(_ value: Float, ranks: Int) -> Signal {
        guard value.isFinite else { return Signal(stop: !value.isNaN && value > 0, save: false, lossFinite: !value.isNaN) }
        let k = Int((Double(value) * Double(ranks)).rounded())
        let mark = Int(saveMark(ranks: ranks))
        return Signal(stop: k % mark > 0, save: k >= mark, lossFinite: true)
    }
}
