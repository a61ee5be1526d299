// CollectiveProcessGroup: the training loop's ProcessGroup over the Collective module's ring
// all-reduce, with a watchdog that ends the job when a collective waits on a dead peer too long.
import Collective
import Foundation

/// Ranks connected by a Communicator (MPI in production), reducing with the ring all-reduce.
public final class CollectiveProcessGroup: ProcessGroup {
    /// The collectives (ring all-reduce, broadcast, all-gather) over the communicator.
    public let collectives: Collectives
    private let watchdog: Watchdog?
    private var background: BackgroundAllReduce?
    private var backgroundError: (any Error)?

    /// Wraps `collectives`. When `timeout` is given, any collective that has not finished after
    /// that many seconds ends the whole job (see `Watchdog`).
    public init(_ collectives: Collectives, timeout: Double? = nil) {
        self.collectives = collectives
        watchdog = timeout.flatMap { collectives.size > 1 ? Watchdog(timeout: $0, rank: collectives.rank) : nil }
    }

    /// Wraps `collectives`, bounding every collective with `watchdog` (nil: unbounded). With a
    /// watchdog the ranks first exchange their process ids and hosts (one small collective), so
    /// a rank that gives up can name a peer on its host that is stopped or gone.
    public init(_ collectives: Collectives, watchdog: Watchdog?) throws {
        self.collectives = collectives
        self.watchdog = watchdog
        guard let watchdog, collectives.size > 1 else { return }
        watchdog.arm("exchange of process ids")
        defer { watchdog.disarm() }
        let rows = try collectives.allGather([Double(getpid()), Double(PeerProcesses.hostHash)])
        watchdog.setPeers(PeerProcesses(table: rows.map { (Int32($0[0]), UInt32($0[1])) }, rank: collectives.rank))
    }

    public var rank: Int { collectives.rank }
    public var size: Int { collectives.size }

    public func averageGradients(_ gradients: UnsafeMutableBufferPointer<Float>) throws {
        try guarded("gradient all-reduce") { try collectives.allReduce(gradients, op: .average) }
    }

    public func startAveraging(_ bucket: UnsafeMutableBufferPointer<Float>) {
        guard size > 1, backgroundError == nil else { return }
        if background == nil {
            do { background = try BackgroundAllReduce(collectives) } catch { backgroundError = error; return }
        }
        background!.enqueue(bucket, op: .average)
    }

    public func finishAveraging() throws {
        if let error = backgroundError { backgroundError = nil; throw error }
        try guarded("gradient all-reduce") { try background?.waitForAll() }
    }

    public func averageShard(_ gradients: UnsafeMutableBufferPointer<Float>) throws -> Range<Int> {
        try guarded("gradient reduce-scatter") { try collectives.reduceScatter(gradients, op: .average) }
    }

    public func gatherShards(_ values: UnsafeMutableBufferPointer<Float>) throws {
        try guarded("parameter all-gather") { try collectives.allGather(segments: values) }
    }

    public func sum(_ values: [Double]) throws -> [Double] {
        try guarded("metric all-gather") {
            let all = try collectives.allGather(values)
            var total = [Double](repeating: 0, count: values.count)
            for row in all {
                guard row.count == values.count else {
                    throw TrainingError("ranks disagree on the number of metric values (\(row.count) vs \(values.count))")
                }
                for i in row.indices { total[i] += row[i] }
            }
            return total
        }
    }

    public func broadcastFromRoot(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try guarded("parameter broadcast") { try collectives.broadcast(buffer, root: 0) }
    }

    public func whileRootWorks(_ what: String, _ body: () throws -> Void) throws {
        var failure: Error?
        if rank == 0 {
            do { try body() } catch { failure = error }
        }
        // Rank 0 is busy, not dead, while the others wait here: the wait has the busy bound.
        let failed = try guarded("wait for rank 0 \(what)", busyPeer: rank != 0) {
            try collectives.allGather([failure == nil ? 0.0 : 1.0])
        }
        if let failure { throw failure }
        if failed[0][0] != 0 { throw TrainingError("rank 0 failed \(what) (see its message)") }
    }

    /// Runs a collective under the watchdog.
    private func guarded<T>(_ what: String, busyPeer: Bool = false, _ body: () throws -> T) throws -> T {
        watchdog?.arm(what, busyPeer: busyPeer)
        defer { watchdog?.disarm() }
        return try body()
    }
}
