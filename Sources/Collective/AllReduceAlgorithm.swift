// AllReduceAlgorithm: which all-reduce large buffers take — the flat ring over every rank, or
// the two-level scheme (within hosts, then across them) — and what a config may ask for.

/// The all-reduce in use.
public enum AllReduceAlgorithm: String, Sendable, CaseIterable {
    /// One ring through every rank.
    case ring
    /// Reduce-scatter within each host, all-reduce across hosts, all-gather within each host.
    case twoLevel = "two_level"
}

/// What a config asks for (`cluster.allreduce`).
public enum AllReduceChoice: String, Sendable, CaseIterable, Codable {
    /// Always the flat ring.
    case ring
    /// The two-level all-reduce whenever the ranks' layout allows it (else the ring).
    case twoLevel = "two_level"
    /// The two-level all-reduce when ranks share hosts on 2 hosts or more (the layout allows
    /// it), where it sends less across hosts and takes fewer steps; else the ring.
    case auto
}
