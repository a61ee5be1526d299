// BackgroundAllReduce: all-reduces run on a thread of their own, in the order they were queued,
// so a caller can keep computing while earlier results travel (overlapping communication with
// the backward pass, bucket by bucket, as Horovod and PyTorch DDP do).
import Foundation

/// A queue of in-place all-reduces served by one background thread; owned by `Collectives`
/// (`startAllReduce` / `finishAllReduces`).
///
/// Every rank must queue buffers of the same lengths in the same order. Between the first
/// `enqueue` and the return of `waitForAll`, the thread owns the communicator (MPI runs
/// MPI_THREAD_SERIALIZED, so one thread at a time may call MPI). Buffers must stay valid and
/// untouched until `waitForAll` returns. After an error the remaining queued buffers are
/// skipped and `waitForAll` throws it; the group is then out of step, as after any collective
/// error. The thread ends when this object is released.
final class BackgroundAllReduce: Sendable {
    private let work: WorkQueue

    /// Starts the thread that serves `collectives`' all-reduces. With MPI, needs
    /// `MPIEnvironment.allowsCallsFromAnyThread`; without it no thread starts and every
    /// `waitForAll` after an `enqueue` throws.
    init(_ collectives: Collectives) {
        var refusal: CollectiveError?
        if collectives.communicator is MPICommunicator && !MPIEnvironment.allowsCallsFromAnyThread {
            refusal = CollectiveError(kind: .invalidArgument, call: "startAllReduce", rank: collectives.rank,
                                      message: "this MPI library did not grant MPI_THREAD_SERIALIZED, so no second thread "
                                          + "may call it; turn overlap off (job.overlap: false)")
        }
        work = WorkQueue(collectives, refusal: refusal)
        guard refusal == nil else { return }
        let thread = Thread { [work] in work.serve() }
        thread.name = "ringtrain-allreduce"
        thread.start()
    }

    deinit { work.stop() }

    /// Queues an in-place all-reduce of `buffer` and returns at once.
    func enqueue(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp, halfPrecision: Bool) {
        work.add(WorkQueue.Item(buffer: buffer, op: op, halfPrecision: halfPrecision))
    }

    /// Blocks until every queued all-reduce has finished; throws the first error any of them hit.
    func waitForAll() throws {
        try work.drain()
    }
}

/// The queue and the loop the background thread runs; all state is guarded by `condition`.
private final class WorkQueue: @unchecked Sendable {
    struct Item {
        let buffer: UnsafeMutableBufferPointer<Float>
        let op: ReduceOp
        let halfPrecision: Bool
    }

    /// Unowned: the collectives own this queue (through `BackgroundAllReduce`).
    private unowned let collectives: Collectives
    private let refusal: CollectiveError?
    private let condition = NSCondition()
    private var items: [Item] = []
    private var next = 0          // index in `items` of the next one to run
    private var running = false
    private var failure: (any Error)?
    private var stopping = false

    init(_ collectives: Collectives, refusal: CollectiveError?) {
        self.collectives = collectives
        self.refusal = refusal
        items.reserveCapacity(64)
    }

    func add(_ item: Item) {
        condition.lock()
        items.append(item)
        condition.broadcast()
        condition.unlock()
    }

    func drain() throws {
        condition.lock()
        if let refusal, !items.isEmpty {
            items.removeAll(keepingCapacity: true)
            condition.unlock()
            throw refusal
        }
        while next < items.count || running { condition.wait() }
        items.removeAll(keepingCapacity: true)
        next = 0
        let error = failure
        failure = nil
        condition.unlock()
        if let error { throw error }
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    func serve() {
        condition.lock()
        while true {
            while next == items.count && !stopping { condition.wait() }
            if next == items.count { break }
            let item = items[next]
            next += 1
            let skip = failure != nil
            running = true
            condition.unlock()
            var error: (any Error)?
            if !skip {
                do { try collectives.allReduceNow(item.buffer, op: item.op, halfPrecision: item.halfPrecision) } catch let e { error = e }
            }
            condition.lock()
            running = false
            if let error, failure == nil { failure = error }
            condition.broadcast()
        }
        condition.unlock()
    }
}
