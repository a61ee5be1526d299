// TwoLevelAllReduce: the all-reduce of ranks spread over hosts in two levels, as Horovod and
// NCCL do — a reduce-scatter among each host's ranks, a ring all-reduce of each rank's segment
// with the ranks of the same index on the other hosts, then an all-gather on each host. Only
// the middle step crosses hosts, and each host sends 2(H−1)/H of the buffer instead of 2(N−1)/N.

/// The two-level all-reduce over a `RankLayout` of H hosts × L ranks (`allowsTwoLevel`), with
/// the reduce-scatter and all-gather halves a sharded update uses. Not thread-safe; owned by
/// `Collectives`. Sums add in another order than the flat ring's, so results agree with it to
/// rounding (exactly where every partial sum is exact, e.g. small integers).
final class TwoLevelAllReduce {
    /// The hosts and their ranks.
    let layout: RankLayout
    private let hostRanks: Int
    private let hostCount: Int
    private let localIndex: Int
    private let worldSize: Int
    /// The ring among this host's ranks.
    private let local: RingAllReduce
    /// The ring among the ranks with this rank's index on every host.
    private let cross: RingAllReduce
    /// The steps within this host through memory its ranks share, for buffers inside it
    /// (`useSharedMemory`); nil: the ring among this host's ranks.
    private var localShared: SharedMemoryAllReduce?

    init(comm: any Communicator, layout: RankLayout, chunkElements: Int, wholeSegmentElements: Int, depth: Int) {
        precondition(layout.allowsTwoLevel, "a two-level all-reduce needs 2 hosts or more with the same number of ranks, 2 or more")
        self.layout = layout
        let (host, index) = layout.position(of: comm.rank)
        hostRanks = layout.hosts[host].count
        hostCount = layout.hosts.count
        localIndex = index
        worldSize = comm.size
        local = RingAllReduce(comm: SubgroupCommunicator(parent: comm, members: layout.hosts[host]),
                              chunkElements: chunkElements, wholeSegmentElements: wholeSegmentElements, depth: depth)
        cross = RingAllReduce(comm: SubgroupCommunicator(parent: comm, members: layout.crossHostRanks(local: index)),
                              chunkElements: chunkElements, wholeSegmentElements: wholeSegmentElements, depth: depth)
    }

    /// Runs the steps within this host on buffers inside `memory` (mapped by this host's ranks,
    /// in their order) through it: the same bits as the ring among them. nil: the ring always.
    func useSharedMemory(_ memory: HostSharedMemory?) {
        precondition(memory.map { $0.ranks == hostRanks && $0.rank == localIndex } ?? true, "memory mapped by other ranks than this host's")
        localShared = memory.map(SharedMemoryAllReduce.init)
    }

    /// Whether the steps within this host run through shared memory (for buffers inside it).
    var usesSharedMemory: Bool { localShared != nil }
    /// Steps within this host that ran through shared memory so far (for tests).
    var sharedMemoryCalls: Int { localShared?.calls ?? 0 }

    /// The elements of a `length`-element buffer `rank` holds fully reduced after a
    /// reduce-scatter: its cross-host ring's share of the segment its host ring left it.
    func ownedSegment(length: Int, rank: Int) -> Range<Int> {
        let (host, index) = layout.position(of: rank)
        let segment = RingAllReduce.ownedSegment(length: length, rank: index, size: hostRanks)
        let part = RingAllReduce.ownedSegment(length: segment.count, rank: host, size: hostCount)
        return (segment.lowerBound + part.lowerBound)..<(segment.lowerBound + part.upperBound)
    }

    /// Sums (or averages, scaling once by 1/N at the end of the cross-host reduce-scatter)
    /// `buffer` across every rank, in place, running the steps `phases` names. `halfWire` as in
    /// the ring: fp16 on the wire at both levels.
    func run(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp, halfWire: Bool, phases: RingPhases = .all) throws {
        let scale: Float = op == .average ? 1 / Float(worldSize) : 1
        let mine = RingAllReduce.ownedSegment(length: buffer.count, rank: localIndex, size: hostRanks)
        let segment = UnsafeMutableBufferPointer(rebasing: buffer[mine])
        let place = localShared.flatMap { $0.memory.place(of: buffer) }
        func withinHost(_ phases: RingPhases) throws {
            if let localShared, let place {
                try localShared.run(buffer, at: place, op: .sum, halfWire: halfWire, phases: phases)
            } else {
                try local.run(buffer, op: .sum, halfWire: halfWire, phases: phases)
            }
        }
        if phases != .allGather { try withinHost(.reduceScatter) }
        try cross.run(segment, op: .sum, scale: scale, halfWire: halfWire, phases: phases)
        if phases != .reduceScatter { try withinHost(.allGather) }
    }
}
