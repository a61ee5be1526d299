// RestartPlan: the decisions of a run that restarts itself — whether another restart is allowed
// (at most `max` within the window), how long to wait first (exponential backoff), and how many
// ranks the hosts that are left can take while the global batch still divides.
import Foundation

/// Pure restart decisions, from `cluster.restarts` and what is known at the failure.
public enum RestartPlan {
    /// Seconds to wait before a restart when `earlier` restarts happened within the window:
    /// `backoff × 2^earlier`, at most `spec.backoffLimit`.
    public static func delay(_ spec: RestartSpec, earlierInWindow earlier: Int) -> Double {
        min(spec.backoffLimit, spec.backoff * pow(2, Double(min(earlier, 30))))
    }

    /// Restarts among `history` (their times) within `spec.window` before `now`.
    public static func inWindow(_ history: [Date], spec: RestartSpec, now: Date) -> Int {
        history.filter { now.timeIntervalSince($0) < spec.window }.count
    }

    /// The most ranks, at most `requested` and `slots` (nil: no limit beyond `requested`), that
    /// divide the global batch into whole micro-batches (`batchSize % (N × accumulate) == 0`),
    /// and at least `minRanks`; nil when there is no such count.
    public static func ranks(requested: Int, slots: Int?, batchSize: Int, accumulate: Int, minRanks: Int) -> Int? {
        let most = min(requested, slots ?? requested)
        guard most >= minRanks else { return nil }
        return stride(from: most, through: minRanks, by: -1).first { batchSize % ($0 * accumulate) == 0 }
    }

    /// The hosts a restart uses, in their listed order: those that passed the pre-flight check.
    /// Slots are the listed ones; nil when no hosts are listed (every rank runs here).
    public static func slots(of hosts: [HostSlots], oversubscribe: Bool) -> Int? {
        hosts.isEmpty || oversubscribe ? nil : hosts.reduce(0) { $0 + $1.slots }
    }
}
