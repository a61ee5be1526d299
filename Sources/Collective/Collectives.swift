// Collectives: the collective operations the trainer calls, over any Communicator, each wait
// bounded by the watchdog; holds the reusable scratch so steady-state calls allocate nothing.
import Foundation

/// Tunables of `Collectives`.
public struct CollectiveOptions: Sendable, Equatable {
    /// Elements per pipelined all-reduce chunk (message size = 4 × this, 2 × with fp16).
    /// Default 65_536 (256 KiB), chosen with `ringtrain bench allreduce` (docs/benchmarks.md).
    public var chunkElements: Int
    /// Ring segments (buffer / N) of at most this many elements travel whole, as one message
    /// per step, instead of in chunks: mid-sized buffers need no pipelining, large ones do (the
    /// crossover from `ringtrain bench allreduce`: docs/benchmarks.md). Default 524_288
    /// (2 MiB segments). 0 always chunks.
    public var wholeSegmentElements: Int
    /// All-reduce receives kept in flight per rank. Default 4.
    public var pipelineDepth: Int
    /// Bytes per broadcast chunk. Default 262_144 (256 KiB).
    public var broadcastChunkBytes: Int
    /// Buffers of at most this many bytes skip the ring and use one all-to-all exchange (one
    /// message time instead of 2(N-1); fp32 on the wire), sent in `smallMessagePieceBytes` pieces.
    /// The threshold is where the ring takes over in `bench allreduce` (docs/benchmarks.md).
    /// 0 turns it off. Default 16_384 (16 KiB).
    public var smallMessageBytes: Int
    /// Largest message of the one-round exchange: pieces this small stay under Open MPI's
    /// shared-memory eager limit (4 KiB including its header), so they need no rendezvous.
    /// Default 4_000.
    public var smallMessagePieceBytes: Int

    public init(chunkElements: Int = 65_536, wholeSegmentElements: Int = 524_288, pipelineDepth: Int = 4,
                broadcastChunkBytes: Int = 262_144,
                smallMessageBytes: Int = 16_384, smallMessagePieceBytes: Int = 4_000) {
        precondition(chunkElements > 0 && pipelineDepth > 0 && broadcastChunkBytes > 0)
        precondition(smallMessageBytes >= 0 && wholeSegmentElements >= 0 && smallMessagePieceBytes > 0)
        self.smallMessagePieceBytes = smallMessagePieceBytes
        self.wholeSegmentElements = wholeSegmentElements
        self.smallMessageBytes = smallMessageBytes
        self.chunkElements = chunkElements
        self.pipelineDepth = pipelineDepth
        self.broadcastChunkBytes = broadcastChunkBytes
    }
}

/// Ring all-reduce, reduce-scatter, all-gather, broadcast and barrier over one communicator.
///
/// Every rank must make the same sequence of calls with the same lengths (like MPI collectives);
/// ranks disagreeing on a length get a `CollectiveError` naming both lengths. With one rank every
/// call returns at once (see `SingleRankCommunicator`). After any thrown error the group is out of
/// step: end the run. Once given a watchdog (`installWatchdog`), every blocking call is bounded by it.
///
/// Not thread-safe: use from one thread at a time (MPI runs MPI_THREAD_SERIALIZED). All-reduces
/// started with `startAllReduce` run on a background thread of their own; any blocking call made
/// meanwhile first waits for them to finish, so it is safe at any time, even from inside an
/// overlapped backward pass.
public final class Collectives {
    /// The transport underneath.
    public let communicator: any Communicator
    /// The options this instance was created with.
    public let options: CollectiveOptions
    private let ring: RingAllReduce
    private let chain: ChainBroadcast
    private let direct: DirectAllReduce
    private var watchdog: Watchdog?
    private var background: BackgroundAllReduce?
    /// The two-level all-reduce, once `chooseAllReduce` picked it; nil: the flat ring.
    private var twoLevel: TwoLevelAllReduce?
    /// The reduce-scatter and all-gather through memory every rank maps, once `mapHostMemory`
    /// made that memory on a one-host job: used for buffers inside it.
    private var shared: SharedMemoryAllReduce?
    /// Memory the ranks of this host map, once `mapHostMemory` made it for ranks on several
    /// hosts: the two-level all-reduce's steps within a host run through it, once chosen.
    private var perHost: HostSharedMemory?
    /// The ranks' hosts, once `chooseAllReduce` found that the two-level scheme can apply.
    private var twoLevelLayout: RankLayout?

    /// Creates the collectives for `communicator` with `options` (defaults: see CollectiveOptions).
    public init(_ communicator: any Communicator, options: CollectiveOptions = CollectiveOptions()) {
        self.communicator = communicator
        self.options = options
        ring = RingAllReduce(comm: communicator, chunkElements: options.chunkElements,
                             wholeSegmentElements: options.wholeSegmentElements, depth: options.pipelineDepth)
        chain = ChainBroadcast(comm: communicator, chunkBytes: options.broadcastChunkBytes)
        direct = DirectAllReduce(comm: communicator, pieceBytes: options.smallMessagePieceBytes)
    }

    /// The collectives of a process that trains alone: one rank, no MPI.
    public static func singleRank() -> Collectives { Collectives(SingleRankCommunicator()) }

    /// This rank.
    public var rank: Int { communicator.rank }
    /// Number of ranks.
    public var size: Int { communicator.size }

    /// Bounds every later blocking call by `watchdog` (collective: every rank calls it). With more
    /// than one rank the ranks first exchange their process ids and hosts (one small all-gather),
    /// so a rank that gives up can name a peer on its host that is stopped or gone.
    public func installWatchdog(_ watchdog: Watchdog) throws {
        guard size > 1 else { return }
        self.watchdog = watchdog
        let rows = try bounded("exchange of process ids") {
            try RingAllGather.run(communicator, values: [Double(getpid()), Double(PeerProcesses.hostHash)])
        }
        watchdog.setPeers(PeerProcesses(table: rows.map { (Int32($0[0]), UInt32($0[1])) }, rank: rank))
    }

    /// Whether `mapHostMemory` may map memory the ranks share (default false; a training rank
    /// sets it from `cluster.shared_memory`).
    public var allowsHostMemory = false

    /// When `allowsHostMemory`, maps `buffers` buffers of `elements` floats per rank that the
    /// ranks of a host can all read (`HostSharedMemory`). Collective: every rank calls it alike; a
    /// later call (or `chooseAllReduce`) replaces the memory, buffers in the earlier one then go as
    /// messages. Returns this host's memory, or nil (nothing changes, `hostMemoryNote` says why
    /// when a rank could not map it):
    /// - every rank on this host (the same host identity, default a hash of the host name):
    ///   `allReduce`, `reduceScatter` and `allGather(segments:)` on buffers inside this rank's
    ///   ones then run through it, with the flat ring's results bit for bit;
    /// - ranks on several hosts where `chooseAllReduce` found the two-level scheme can apply (asked
    ///   for as `two_level` or `auto`): each host's ranks map their own, and the two-level scheme's
    ///   steps within a host run through it once it is chosen, with its results bit for bit; hosts
    ///   whose ranks could not map it send messages there;
    /// - otherwise (one rank, the flat ring across hosts) nil.
    public func mapHostMemory(elements: Int, buffers: Int, hostIdentity: UInt32 = PeerProcesses.hostHash) throws -> HostSharedMemory? {
        try background?.waitForAll()   // nothing in flight may be reading the memory replaced here
        automatic?.sharedLocal = nil
        hostMemoryNote = nil
        shared = nil
        perHost = nil
        twoLevel?.useSharedMemory(nil)
        guard size > 1, allowsHostMemory else { return nil }
        if let layout = twoLevelLayout, twoLevel != nil || automatic != nil {
            return try mapPerHost(layout, elements: elements, buffers: buffers)
        }
        guard twoLevel == nil, automatic == nil, try hostLayout(hostIdentity).hosts.count == 1 else { return nil }
        var reason: String?
        guard let memory = try bounded("mapping memory the ranks share", { () throws -> HostSharedMemory? in
            try HostSharedMemory.map(over: self, elements: elements, buffers: buffers, reason: &reason)
        }) else {
            hostMemoryNote = "ranks share this host but not memory, so gradients go as messages: \(reason ?? "unknown reason")"
            return nil
        }
        shared = SharedMemoryAllReduce(memory: memory)
        return memory
    }

    /// Each host's ranks map memory of their own (`mapHostMemory` with the two-level scheme).
    private func mapPerHost(_ layout: RankLayout, elements: Int, buffers: Int) throws -> HostSharedMemory? {
        let host = layout.position(of: rank).host
        let hostGroup = Collectives(SubgroupCommunicator(parent: communicator, members: layout.hosts[host]), options: options)
        var reason: String?
        let memory = try bounded("mapping memory each host's ranks share") {
            try HostSharedMemory.map(over: hostGroup, elements: elements, buffers: buffers, reason: &reason)
        }
        let mapped = try bounded("exchange of which hosts share memory") { try RingAllGather.run(communicator, values: [memory == nil ? 0 : 1]) }
        let failed = layout.hosts.filter { mapped[$0[0]][0] == 0 }
        if let firstFailed = failed.first {
            // Every rank of a failing host knows why; the first such host tells the others.
            let why = try broadcast(Array((reason ?? "").utf8), root: firstFailed[0])
            hostMemoryNote = "the ranks of \(failed.count) of \(layout.hosts.count) hosts share no memory, so their gradients go as messages within "
                + "the host too (the host of rank \(firstFailed[0]): \(String(decoding: why, as: UTF8.self)))"
        }
        perHost = memory
        twoLevel?.useSharedMemory(memory)
        // For `auto`: the two-level scheme's steps within a host will run through this memory,
        // so the model prices them as it measures, on rank 0's host (the block holds nothing yet).
        if automatic != nil, failed.isEmpty, let memory {
            let measured = try bounded("timing memory each host's ranks share") { try SharedMemoryProbe.measure(memory) }
            let rows = try bounded("exchange of the timings") {
                try RingAllGather.run(communicator, values: [measured?.latency ?? -1, measured?.bandwidth ?? -1])
            }
            if rows[0][1] > 0 { automatic?.sharedLocal = LinkCost(latency: rows[0][0], bandwidth: rows[0][1]) }
        }
        return memory
    }

    /// Which ranks share which host, from every rank's `hostIdentity` (collective).
    private func hostLayout(_ hostIdentity: UInt32) throws -> RankLayout {
        let rows = try bounded("exchange of host names") { try RingAllGather.run(communicator, values: [Double(hostIdentity)]) }
        return RankLayout(hostOfRank: rows.map { UInt32($0[0]) })
    }

    /// Why the last `mapHostMemory` left some ranks that share a host without shared memory; nil otherwise.
    public private(set) var hostMemoryNote: String?

    /// How many ranks share the memory collectives run through: every rank on a one-host job,
    /// a host's ranks under the two-level scheme (within hosts); nil when none does (on this host).
    public var ranksSharingMemory: Int? {
        if let shared { return shared.memory.ranks }
        if let twoLevel, twoLevel.usesSharedMemory, let perHost { return perHost.ranks }
        return nil
    }

    /// Collective calls that ran through shared memory so far (for tests).
    var sharedMemoryCalls: Int { (shared?.calls ?? 0) + (twoLevel?.sharedMemoryCalls ?? 0) }

    /// Whether collectives on buffers inside memory the ranks share run through it (`mapHostMemory`).
    public var usesHostMemory: Bool { shared != nil }

    /// Whether a collective on `buffer` runs through memory the ranks share, sending no message:
    /// a reduce-scatter or all-gather, or with `allReduce` an all-reduce (which sends buffers of up
    /// to `options.smallMessageBytes` as messages all the same).
    public func runsInSharedMemory(_ buffer: UnsafeMutableBufferPointer<Float>, allReduce: Bool = false) -> Bool {
        sharedPlace(of: buffer) != nil && !(allReduce && buffer.count * 4 <= options.smallMessageBytes)
    }

    /// The shared-memory path and where `buffer` lies in it, when it lies in this rank's buffers.
    private func sharedPlace(of buffer: UnsafeMutableBufferPointer<Float>) -> (SharedMemoryAllReduce, (index: Int, offset: Int))? {
        guard let shared, let place = shared.memory.place(of: buffer) else { return nil }
        return (shared, place)
    }

    /// The all-reduce large buffers use: the flat ring until `chooseAllReduce` picks another.
    public var allReduceAlgorithm: AllReduceAlgorithm { twoLevel == nil ? .ring : .twoLevel }

    /// Picks the all-reduce for large buffers as `choice` says (collective: every rank calls it,
    /// before any other collective is in flight). The ranks exchange their host identities
    /// (`hostIdentity`, default a hash of the host name) to learn which share a host. The
    /// two-level scheme can apply when the ranks form 2 hosts or more of the same number of
    /// ranks, 2 or more each (`RankLayout.allowsTwoLevel`); elsewhere the flat ring stays, which
    /// the two-level scheme would only repeat. `.twoLevel` then takes it. `.auto` measures the
    /// links (rank 0 with a rank of its host and with one of another host, `LinkProbe`) and
    /// leaves the choice to `settleAllReduce`, which knows the buffer's size. Returns the ranks'
    /// layout (nil with one rank or `.ring`, which exchange nothing). Call it, and
    /// `settleAllReduce`, before anything is cut into shards by `ownedSegment` (a trainer's
    /// sharded optimizer state), since the cut changes with it. `links` are taken instead of
    /// measured when given (the same on every rank).
    @discardableResult
    public func chooseAllReduce(_ choice: AllReduceChoice, hostIdentity: UInt32 = PeerProcesses.hostHash,
                                links: (local: LinkCost, network: LinkCost)? = nil) throws -> RankLayout? {
        twoLevel = nil
        shared = nil
        perHost = nil
        twoLevelLayout = nil
        automatic = nil
        automaticDecision = nil
        guard size > 1, choice != .ring else { return nil }
        let layout = try hostLayout(hostIdentity)
        guard layout.allowsTwoLevel else { return layout }
        twoLevelLayout = layout
        if choice == .twoLevel {
            useTwoLevel(layout)
        } else {
            // Rank 0 and the two ranks it probes are busy meanwhile, and the others wait for them.
            let links = try links ?? bounded("measuring the links for cluster.allreduce: auto", busyPeer: true) { try measureLinks(layout) }
            automatic = (layout, links.local, links.network, nil)
        }
        return layout
    }

    /// What `settleAllReduce` decided for `.auto`, with the model's two predictions; nil before.
    public private(set) var automaticDecision: AutomaticAllReduceDecision?
    /// The layout and links `.auto` measured, until `settleAllReduce` decides; with the link
    /// within a host through shared memory once `mapHostMemory` timed it.
    private var automatic: (layout: RankLayout, local: LinkCost, network: LinkCost, sharedLocal: LinkCost?)?

    /// For `chooseAllReduce(.auto)`: takes the two-level all-reduce when `AllReduceCost` predicts
    /// it faster than the flat ring for the all-reduces of one step (`transfers`; those small
    /// enough for the one-round exchange cost the same either way and are left out) on the
    /// measured links: the two-level scheme's steps within a host at the shared-memory figure when
    /// every host's ranks share memory (`mapHostMemory`, called before this), the flat ring's at
    /// the message link's. Every rank computes the same answer from the same figures, so nothing is
    /// exchanged. Once; later calls, and calls after any other choice, do nothing and return nil.
    /// Returns the decision.
    @discardableResult
    public func settleAllReduce(transfers: [AllReduceTransfer]) -> AutomaticAllReduceDecision? {
        guard let (layout, local, network, sharedLocal) = automatic else { return nil }
        automatic = nil
        let large = transfers.filter { $0.elements * 4 > options.smallMessageBytes }
        func seconds(_ algorithm: AllReduceAlgorithm) -> Double {
            large.reduce(0) { sum, t in
                sum + AllReduceCost.seconds(algorithm, t, ranks: size, hosts: layout.hosts.count, perHost: layout.ranksPerHost ?? 1,
                                            network: network, local: algorithm == .twoLevel ? sharedLocal ?? local : local,
                                            streamsPerLink: layout.ringEdgesLeavingAHost,
                                            sharedWithinHosts: algorithm == .twoLevel && sharedLocal != nil).total
            }
        }
        let decision = AutomaticAllReduceDecision(transfers: large, layout: layout, local: local, network: network, sharedLocal: sharedLocal,
                                                  ringSeconds: seconds(.ring), twoLevelSeconds: seconds(.twoLevel))
        if decision.chosen == .twoLevel { useTwoLevel(layout) } else { hostMemoryNote = nil }   // the flat ring uses no host's memory
        automaticDecision = decision
        return decision
    }

    private func useTwoLevel(_ layout: RankLayout) {
        twoLevel = TwoLevelAllReduce(comm: communicator, layout: layout, chunkElements: options.chunkElements,
                                     wholeSegmentElements: options.wholeSegmentElements, depth: options.pipelineDepth)
        twoLevel!.useSharedMemory(perHost)
    }

    /// Rank 0 probes the link to the next rank of its host and to the first rank of another host
    /// (those two take part, the others wait), then every rank gets the figures.
    private func measureLinks(_ layout: RankLayout) throws -> (local: LinkCost, network: LinkCost) {
        let home = layout.hosts.first { $0.contains(0) }!
        let mate = home.first { $0 != 0 }!
        let far = layout.hosts.first { !$0.contains(0) }!.first!
        var figures = [Double](repeating: 0, count: 4)
        if rank == 0 {
            let local = try LinkProbe.measure(communicator, peer: mate, minimumSeconds: 0.01, maximumBytes: 16 << 20)
            let network = try LinkProbe.measure(communicator, peer: far, minimumSeconds: 0.01, maximumBytes: 16 << 20)
            figures = [local.latency, local.bandwidth, network.latency, network.bandwidth]
        } else if rank == mate || rank == far {
            _ = try LinkProbe.measure(communicator, peer: 0, minimumSeconds: 0.01, maximumBytes: 16 << 20)
        }
        let rows = try RingAllGather.run(communicator, values: figures)
        return (LinkCost(latency: rows[0][0], bandwidth: rows[0][1]), LinkCost(latency: rows[0][2], bandwidth: rows[0][3]))
    }

    /// Reduces `buffer` across ranks in place with the ring (reduce-scatter, then all-gather).
    /// `op` defaults to `.sum`; `.average` sums then scales by 1/N. Any length, including 0.
    /// `halfPrecision` sends fp16 on the wire and accumulates in fp32 (half the traffic, about 3
    /// significant digits; default false). Buffers up to `options.smallMessageBytes` use a
    /// one-round all-to-all exchange instead (always fp32).
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp = .sum,
                          halfPrecision: Bool = false) throws {
        guard size > 1 else { return }
        try bounded("all-reduce") { try allReduceNow(buffer, op: op, halfPrecision: halfPrecision) }
    }

    /// Convenience for arrays: `allReduce` over the array's storage.
    public func allReduce(_ array: inout [Float], op: ReduceOp = .sum, halfPrecision: Bool = false) throws {
        try array.withUnsafeMutableBufferPointer { try allReduce($0, op: op, halfPrecision: halfPrecision) }
    }

    /// Starts an `allReduce` of `buffer` on the background thread and returns at once, so the
    /// caller can keep computing (overlap). Every rank must start the same lengths in the same
    /// order. `buffer` must stay valid and untouched until `finishAllReduces` returns. With MPI,
    /// needs `MPIEnvironment.allowsCallsFromAnyThread` (else `finishAllReduces` throws).
    public func startAllReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp = .sum,
                               halfPrecision: Bool = false) {
        guard size > 1 else { return }
        if background == nil { background = BackgroundAllReduce(self) }
        background!.enqueue(buffer, op: op, halfPrecision: halfPrecision)
    }

    /// Blocks until every all-reduce started with `startAllReduce` has finished; throws the first
    /// error any of them hit (the later ones are then skipped).
    public func finishAllReduces() throws {
        guard let background else { return }
        watchdog?.arm("all-reduce")
        defer { watchdog?.disarm() }
        try background.waitForAll()
    }

    /// The first half of the ring all-reduce: afterwards this rank holds the full sum (or mean)
    /// of the returned elements of `buffer` (`ownedSegment`); the rest of `buffer` is partial.
    /// Together the ranks' ranges tile the buffer. Follow with `allGather(segments:)` to finish an
    /// all-reduce, possibly after changing the owned elements (a sharded update). `halfPrecision`
    /// as in `allReduce` (default false).
    @discardableResult
    public func reduceScatter(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp = .sum,
                              halfPrecision: Bool = false) throws -> Range<Int> {
        guard size > 1 else { return 0..<buffer.count }
        try bounded("reduce-scatter") { try runLarge(buffer, op: op, halfWire: halfPrecision, phases: .reduceScatter) }
        return ownedSegment(length: buffer.count)
    }

    /// The second half of the ring all-reduce: every rank's owned range of `buffer` (see
    /// `reduceScatter`) is copied to every other rank. Always fp32 on the wire, so the values
    /// arrive exactly.
    public func allGather(segments buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard size > 1 else { return }
        try bounded("all-gather") { try runLarge(buffer, op: .sum, halfWire: false, phases: .allGather) }
    }

    /// The range of a `length`-element buffer that `rank` (default this rank) owns after
    /// `reduceScatter`: the one place that cuts a buffer into per-rank shards.
    public func ownedSegment(length: Int, rank: Int? = nil) -> Range<Int> {
        twoLevel?.ownedSegment(length: length, rank: rank ?? self.rank)
            ?? RingAllReduce.ownedSegment(length: length, rank: rank ?? self.rank, size: size)
    }

    /// Copies `root`'s `buffer` into every rank's `buffer` (same length on every rank).
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        try broadcast(bytes: UnsafeMutableRawBufferPointer(buffer), root: root)
    }

    /// Copies `root`'s bytes into every rank's `bytes` (same length on every rank).
    public func broadcast(bytes: UnsafeMutableRawBufferPointer, root: Int) throws {
        guard size > 1 else { return }
        try bounded("broadcast") { try chain.run(bytes, root: root) }
    }

    /// Returns `root`'s `bytes` on every rank; the others' argument is ignored, so they may pass
    /// `[]`. Sends the length first, then the payload (e.g. the run's config text).
    public func broadcast(_ bytes: [UInt8], root: Int) throws -> [UInt8] {
        guard size > 1 else { return bytes }
        return try bounded("broadcast") {
            var count = Int64(rank == root ? bytes.count : 0)
            try withUnsafeMutableBytes(of: &count) { try chain.run($0, root: root) }
            var result = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count))
            try result.withUnsafeMutableBytes { try chain.run($0, root: root) }
            return result
        }
    }

    /// `root` hands every rank its range `ranges[rank]` of `whole` (read on `root` only; other
    /// ranks may pass an empty buffer); returns this rank's part. `ranges` is the same on every rank.
    public func scatter(_ whole: UnsafeBufferPointer<Float>, ranges: [Range<Int>], root: Int) throws -> [Float] {
        guard size > 1 else { return Array(whole[ranges[rank]]) }
        return try bounded("scatter") {
            try ScatterGather.scatter(communicator, whole: whole, ranges: ranges, root: root, chunkElements: options.chunkElements)
        }
    }

    /// Every rank's `part` (its range `ranges[rank]` of a `length`-element whole) collected on
    /// `root`, which gets the whole back (elements in no range are 0); the other ranks get nil.
    public func gather(_ part: UnsafeBufferPointer<Float>, ranges: [Range<Int>], length: Int, root: Int) throws -> [Float]? {
        try bounded("gather") {
            try ScatterGather.gather(communicator, part: part, ranges: ranges, length: length, root: root,
                                     chunkElements: options.chunkElements)
        }
    }

    /// Gathers every rank's `values` (same count on every rank) and returns them indexed by rank.
    public func allGather(_ values: [Double]) throws -> [[Double]] {
        try bounded("all-gather") { try RingAllGather.run(communicator, values: values) }
    }

    /// Element-wise sum of `values` over the ranks, exact in rank order on every rank (small
    /// vectors: metric counts, losses).
    public func sum(_ values: [Double]) throws -> [Double] {
        var total = [Double](repeating: 0, count: values.count)
        for row in try allGather(values) {
            for i in row.indices { total[i] += row[i] }
        }
        return total
    }

    /// Rank 0 runs `body` (e.g. writing a checkpoint; `what` says so) while the other ranks wait
    /// for it, their wait bounded as a wait on a busy peer rather than on a dead one. Throws on
    /// every rank if `body` threw on rank 0 (there, its own error).
    public func whileRootWorks(_ what: String, _ body: () throws -> Void) throws {
        var failure: (any Error)?
        if rank == 0 {
            do { try body() } catch { failure = error }
        }
        let failed = try bounded("wait for rank 0 \(what)", busyPeer: rank != 0) {
            try RingAllGather.run(communicator, values: [failure == nil ? 0 : 1])
        }
        if let failure { throw failure }
        if failed[0][0] != 0 {
            throw CollectiveError(kind: .peerFailed, call: "whileRootWorks", rank: rank,
                                  message: "rank 0 failed \(what) (see its message)")
        }
    }

    /// Blocks until every rank arrives.
    public func barrier() throws {
        guard size > 1 else { return }
        try bounded("barrier") { try communicator.barrier() }
    }

    /// The all-reduce itself, unbounded: the background thread runs it too.
    func allReduceNow(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp, halfPrecision: Bool) throws {
        if buffer.count * 4 <= options.smallMessageBytes {
            try direct.run(buffer, op: op)
        } else {
            try runLarge(buffer, op: op, halfWire: halfPrecision, phases: .all)
        }
    }

    /// The one choice of algorithm for a buffer past the one-round exchange: shared memory when
    /// it lies there, else the two-level scheme once chosen, else the flat ring.
    private func runLarge(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp, halfWire: Bool, phases: RingPhases) throws {
        if let (shared, place) = sharedPlace(of: buffer) {
            try shared.run(buffer, at: place, op: op, halfWire: halfWire, phases: phases)
        } else if let twoLevel {
            try twoLevel.run(buffer, op: op, halfWire: halfWire, phases: phases)
        } else {
            try ring.run(buffer, op: op, halfWire: halfWire, phases: phases)
        }
    }

    /// Runs a blocking collective under the watchdog (`busyPeer`: see `Watchdog.arm`), after the
    /// background all-reduces in flight, so calls never overlap on the communicator.
    private func bounded<T>(_ phase: String, busyPeer: Bool = false, _ body: () throws -> T) throws -> T {
        watchdog?.arm(phase, busyPeer: busyPeer)
        defer { watchdog?.disarm() }
        try background?.waitForAll()
        return try body()
    }
}
