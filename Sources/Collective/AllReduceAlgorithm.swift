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
    /// Where the two-level all-reduce can apply, whichever of it and the flat ring `AllReduceCost`
    /// predicts faster for the gradient on links measured at the start; else the ring.
    case auto
}
