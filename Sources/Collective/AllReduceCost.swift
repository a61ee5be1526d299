// AllReduceCost: what an all-reduce costs on given links — the flat ring with ranks packed onto
// hosts, and the two-level scheme — as latency per message plus bytes at the link's bandwidth.
// The scaling model predicts with it; `cluster.allreduce: auto` decides with it.
import Foundation

/// What one message over a link costs: a fixed latency, then its bytes at the link's bandwidth.
public struct LinkCost: Sendable, Equatable {
    /// Seconds per message, whatever its size (one step of a ring).
    public var latency: Double
    /// Bytes per second one stream reaches.
    public var bandwidth: Double

    public init(latency: Double, bandwidth: Double) {
        (self.latency, self.bandwidth) = (latency, bandwidth)
    }

    /// Seconds to send `bytes` as one message.
    public func seconds(_ bytes: Double) -> Double { latency + bytes / bandwidth }

    /// "12.5 µs, 0.956 Gbit/s", as logs and tables print a link.
    public var summary: String { String(format: "%.1f µs, %.3f Gbit/s", latency * 1e6, bandwidth * 8 / 1e9) }
}

/// The time of one all-reduce, as the sum of its steps.
public enum AllReduceCost {
    /// `algorithm`'s time for `ranks` ranks filling `hosts` hosts of `perHost` ranks in order
    /// (`streamsPerLink` as for `ring`): (total, its latency part), seconds. `sharedWithinHosts`:
    /// the two-level scheme's steps within a host go through shared memory, which reads fp32
    /// whatever the wire format (`local` is then that memory's figure).
    public static func seconds(_ algorithm: AllReduceAlgorithm, _ transfer: AllReduceTransfer, ranks: Int, hosts: Int, perHost: Int,
                               network: LinkCost, local: LinkCost, streamsPerLink: Int = 1,
                               sharedWithinHosts: Bool = false) -> (total: Double, latency: Double) {
        switch algorithm {
        case .ring: ring(reduce: transfer.reduceBytes, gather: transfer.gatherBytes, ranks: ranks, hosts: hosts,
                         network: network, local: local, streamsPerLink: streamsPerLink)
        case .twoLevel: twoLevel(reduce: transfer.reduceBytes, gather: transfer.gatherBytes, hosts: hosts, perHost: perHost,
                                 network: network, local: local,
                                 withinHost: sharedWithinHosts ? Double(transfer.elements * 4) : nil)
        }
    }

    /// The flat ring of `ranks` ranks filling `hosts` hosts in order: N−1 steps reducing `reduce`
    /// bytes, N−1 gathering `gather` bytes, S/N a step per rank. Every edge sends at once, so a step lasts as long as its slowest edge: between
    /// hosts when there are several (one edge leaves each host), else between ranks of one host.
    /// `streamsPerLink` is the most ring edges that leave one host (1 when ranks fill hosts in
    /// order; more when placed round the hosts): they share the host's link.
    public static func ring(reduce: Double, gather: Double, ranks: Int, hosts: Int,
                            network: LinkCost, local: LinkCost, streamsPerLink: Int = 1) -> (total: Double, latency: Double) {
        guard ranks > 1 else { return (0, 0) }
        let n = Double(ranks), steps = n - 1
        func step(_ bytes: Double) -> Double {
            let within = ranks > hosts ? local.seconds(bytes / n) : 0
            return hosts > 1 ? max(network.seconds(Double(streamsPerLink) * bytes / n), within) : local.seconds(bytes / n)
        }
        let latency = hosts > 1 ? max(network.latency, ranks > hosts ? local.latency : 0) : local.latency
        return (steps * (step(reduce) + step(gather)), 2 * steps * latency)
    }

    /// The two-level scheme with k ranks on each of H hosts: a reduce-scatter among a host's k
    /// ranks (k−1 steps of S/k), then k rings across hosts at once, one per shard (H−1 steps each
    /// way; the k rings share the host's link, S/H through it a step), then an all-gather among a
    /// host's ranks. `withinHost`: the bytes each step within a host moves, when not `reduce` and
    /// `gather` (shared memory reads fp32 whatever the wire format).
    public static func twoLevel(reduce: Double, gather: Double, hosts: Int, perHost: Int,
                                network: LinkCost, local: LinkCost, withinHost: Double? = nil) -> (total: Double, latency: Double) {
        let k = Double(perHost), h = Double(hosts)
        let within = (k - 1) * (local.seconds((withinHost ?? reduce) / k) + local.seconds((withinHost ?? gather) / k))
        let across = (h - 1) * (network.seconds(reduce / h) + network.seconds(gather / h))
        return (within + across, 2 * (k - 1) * local.latency + 2 * (h - 1) * network.latency)
    }
}

/// One all-reduce of a training step, as `Collectives.settleAllReduce` weighs it.
public struct AllReduceTransfer: Sendable, Equatable {
    /// fp32 elements of the buffer.
    public var elements: Int
    /// Bytes its reduce-scatter half carries (halved by fp16 on the wire) and its all-gather half
    /// (fp32 parameters after the sharded update; else as the reduce half).
    public var reduceBytes: Double, gatherBytes: Double

    /// `elements` all-reduced, with fp16 on the wire (`halfWire`) and, for the sharded update,
    /// the parameters gathered back in fp32 (`gathersParameters`).
    public init(elements: Int, halfWire: Bool, gathersParameters: Bool) {
        self.elements = elements
        reduceBytes = Double(elements * (halfWire ? 2 : 4))
        gatherBytes = gathersParameters ? Double(elements * 4) : reduceBytes
    }
}

/// What `Collectives.settleAllReduce` decided for `cluster.allreduce: auto`, and why.
public struct AutomaticAllReduceDecision: Sendable, Equatable {
    /// The all-reduces of one step weighed (those above the one-round exchange's size).
    public var transfers: [AllReduceTransfer]
    public var layout: RankLayout
    /// The links rank 0 measured: to a rank of its host, and to one of another host.
    public var local: LinkCost, network: LinkCost
    /// The link within a host as the two-level scheme's steps there take it through shared
    /// memory (`SharedMemoryProbe`), when every host's ranks share memory; nil: `local`.
    public var sharedLocal: LinkCost? = nil
    /// The model's time for the step's all-reduces, seconds, each way.
    public var ringSeconds: Double, twoLevelSeconds: Double
    /// The faster of the two.
    public var chosen: AllReduceAlgorithm { twoLevelSeconds < ringSeconds ? .twoLevel : .ring }
}
