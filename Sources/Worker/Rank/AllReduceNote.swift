// AllReduceNote: what rank 0 says about the all-reduce a run uses when the config asked for
// more than the flat ring — the two-level scheme and its hosts, or why the ring stays.
import Collective

/// The notice of the all-reduce chosen for `cluster.allreduce`.
public enum AllReduceNote {
    /// One line for the log, or nil when there is nothing to say (the ring was asked for, or one rank).
    public static func text(choice: AllReduceChoice, layout: RankLayout?, chosen: AllReduceAlgorithm) -> String? {
        guard choice != .ring, let layout else { return nil }
        let shape = layout.ranksPerHost.map { "\(layout.hosts.count) host\(layout.hosts.count == 1 ? "" : "s") × \($0) rank\($0 == 1 ? "" : "s")" }
            ?? "\(layout.hosts.count) hosts with \(layout.hosts.map { "\($0.count)" }.joined(separator: ", ")) ranks"
        if chosen == .twoLevel { return "all-reduce: two-level (\(shape))" }
        return "all-reduce: the flat ring (cluster.allreduce: \(choice.rawValue)): the two-level all-reduce needs 2 hosts or more "
            + "with the same number of ranks, 2 or more each, and the ranks are on \(shape)"
    }
}
