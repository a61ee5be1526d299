// AllReduceNote: what rank 0 says about the all-reduce a run uses when the config asked for
// more than the flat ring — the two-level scheme and its hosts, or why the ring stays.
import Collective

/// The notice of the all-reduce chosen for `cluster.allreduce`.
public enum AllReduceNote {
    /// One line for the log, or nil when there is nothing to say (the ring was asked for, or one rank).
    /// With `auto` where the two-level scheme could apply, nil too: the choice waits for the
    /// gradient's size, and `text(_:)` of the decision says what was chosen.
    public static func text(choice: AllReduceChoice, layout: RankLayout?, chosen: AllReduceAlgorithm) -> String? {
        guard choice != .ring, let layout else { return nil }
        if choice == .auto && layout.allowsTwoLevel { return nil }
        let shape = Self.shape(layout)
        if chosen == .twoLevel { return "all-reduce: two-level (\(shape))" }
        return "all-reduce: the flat ring (cluster.allreduce: \(choice.rawValue)): the two-level all-reduce needs 2 hosts or more "
            + "with the same number of ranks, 2 or more each, and the ranks are on \(shape)"
    }

    /// What `cluster.allreduce: auto` chose, with the model's two predictions and the links measured.
    public static func text(_ d: AutomaticAllReduceDecision) -> String {
        func ms(_ seconds: Double) -> String { String(format: "%.3g ms", seconds * 1e3) }
        let taken = d.chosen == .twoLevel ? "two-level (\(shape(d.layout)))" : "the flat ring (\(shape(d.layout)))"
        let bytes = d.transfers.reduce(0.0) { $0 + $1.reduceBytes + $1.gatherBytes } / 2
        let count = d.transfers.count == 1 ? "1 all-reduce" : "\(d.transfers.count) all-reduces"
        return "all-reduce: \(taken) by cluster.allreduce: auto: predicted \(ms(d.twoLevelSeconds)) two-level against \(ms(d.ringSeconds)) "
            + String(format: "for the ring, a step's %@ of %.2f MB; ", count, bytes / 1e6)
            + "links measured within a host \(d.local.summary)"
            + (d.sharedLocal.map { " (through memory the host's ranks share, as the two-level scheme's steps there take it: \($0.summary))" } ?? "")
            + ", between hosts \(d.network.summary)"
    }

    /// "2 hosts × 2 ranks", or each host's rank count when they differ.
    static func shape(_ layout: RankLayout) -> String {
        layout.ranksPerHost.map { "\(layout.hosts.count) host\(layout.hosts.count == 1 ? "" : "s") × \($0) rank\($0 == 1 ? "" : "s")" }
            ?? "\(layout.hosts.count) hosts with \(layout.hosts.map { "\($0.count)" }.joined(separator: ", ")) ranks"
    }
}
