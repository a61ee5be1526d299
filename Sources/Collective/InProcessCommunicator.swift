// InProcessCommunicator: a Communicator whose ranks are threads of one process.
// Lets unit tests run the real collective algorithms without mpirun; sends are eager copies.
import Foundation
import Synchronization

/// Ranks as threads sharing an in-memory fabric. Start a group with `InProcessCommunicator.run`.
///
/// Semantics follow MPI's: per-pair FIFO delivery, receives matched in posting order, a message
/// longer than the receive buffer fails with `.truncated`. Sends complete at once (eager copy).
/// `@unchecked Sendable`: the request table is touched only by the rank's own thread; everything
/// shared lives in `Fabric`, guarded by its NSCondition.
public final class InProcessCommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Same bound as Open MPI's, so tags behave alike in tests.
    public let maxTag = Int(Int32.max)
    private let fabric: Fabric

    private enum Pending {
        case sent(tag: Int)
        case receive(buffer: UnsafeMutableRawBufferPointer, peer: Int, tag: Int?, order: Int)
    }
    private var pending: [UInt: Pending] = [:]
    private var nextHandle: UInt = 1

    private init(rank: Int, fabric: Fabric) {
        self.rank = rank
        self.size = fabric.size
        self.fabric = fabric
    }

    /// Runs `body` on `size` threads, one per rank, and returns each rank's result in rank order.
    /// If any rank throws, the fabric shuts down (blocked ranks throw `.aborted`) and the first
    /// error thrown is rethrown here.
    public static func run<T: Sendable>(size: Int,
                                        _ body: @escaping @Sendable (InProcessCommunicator) throws -> T) throws -> [T] {
        precondition(size >= 1, "size must be at least 1")
        let fabric = Fabric(size: size)
        let results = Mutex<[Result<T, any Error>?]>(Array(repeating: nil, count: size))
        let done = DispatchSemaphore(value: 0)
        for r in 0..<size {
            let thread = Thread {
                let comm = InProcessCommunicator(rank: r, fabric: fabric)
                let result = Result { try body(comm) }
                if case .failure = result { fabric.shutDown() }
                results.withLock { $0[r] = result }
                done.signal()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        for _ in 0..<size { done.wait() }
        let all = results.withLock { $0 }
        let firstError = all.compactMap { r -> (any Error)? in
            if case .failure(let e)? = r, !((e as? CollectiveError)?.kind == .aborted) { return e }
            return nil
        }.first ?? all.compactMap { r -> (any Error)? in
            if case .failure(let e)? = r { return e }
            return nil
        }.first
        if let firstError { throw firstError }
        return try all.map { try $0!.get() }
    }

    public func send(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) throws {
        try checkRank(peer, as: "peer", in: "send")
        try fabric.deliver(Array(bytes), tag: tag, from: rank, to: peer)
    }

    @discardableResult
    public func receive(into bytes: UnsafeMutableRawBufferPointer, from peer: Int,
                        tag: Int?) throws -> CommStatus {
        try wait(startReceive(into: bytes, from: peer, tag: tag))
    }

    public func startSend(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) throws -> CommRequest {
        try send(bytes, to: peer, tag: tag)
        return remember(.sent(tag: tag))
    }

    public func startReceive(into bytes: UnsafeMutableRawBufferPointer, from peer: Int,
                             tag: Int?) throws -> CommRequest {
        try checkRank(peer, as: "peer", in: "receive")
        return remember(.receive(buffer: bytes, peer: peer, tag: tag, order: Int(nextHandle)))
    }

    private func remember(_ op: Pending) -> CommRequest {
        let handle = nextHandle
        nextHandle += 1
        pending[handle] = op
        return CommRequest(handle: handle)
    }

    @discardableResult
    public func wait(_ request: CommRequest) throws -> CommStatus {
        guard let op = pending[request.handle] else {
            throw CollectiveError(kind: .invalidArgument, call: "wait", rank: rank,
                                  message: "unknown or already completed request \(request.handle)")
        }
        switch op {
        case .sent(let tag):
            pending[request.handle] = nil
            return CommStatus(source: rank, tag: tag, byteCount: 0)
        case .receive(_, let peer, _, let order):
            // Earlier receives from the same peer match first (MPI's posting order).
            let earlier = pending.filter {
                if case .receive(_, peer, _, let o) = $0.value { return o < order }
                return false
            }.sorted { $0.key < $1.key }
            for (handle, _) in earlier { try complete(handle) }
            return try complete(request.handle)
        }
    }

    public func test(_ request: CommRequest) throws -> CommStatus? {
        guard let op = pending[request.handle] else {
            throw CollectiveError(kind: .invalidArgument, call: "test", rank: rank,
                                  message: "unknown or already completed request \(request.handle)")
        }
        guard case .receive(_, let peer, _, let order) = op else { return try wait(request) }
        // Ready when this receive and every earlier one from the same peer find a message.
        let tags: [Int?] = pending.compactMap { entry -> (Int, Int?)? in
            if case .receive(_, peer, let t, let o) = entry.value, o <= order { return (o, t) }
            return nil
        }.sorted { $0.0 < $1.0 }.map(\.1)
        guard fabric.canMatch(from: peer, to: rank, tags: tags) else { return nil }
        return try wait(request)
    }

    @discardableResult
    private func complete(_ handle: UInt) throws -> CommStatus {
        guard case .receive(let buffer, let peer, let tag, _)? = pending[handle] else {
            preconditionFailure("not a pending receive")
        }
        pending[handle] = nil
        let message = try fabric.take(from: peer, to: rank, tag: tag, rank: rank)
        guard message.bytes.count <= buffer.count else {
            throw CollectiveError(kind: .truncated, call: "receive", rank: rank,
                                  message: "message of \(message.bytes.count) bytes from rank \(peer) "
                                      + "is longer than the \(buffer.count)-byte receive buffer",
                                  receivedTag: message.tag)
        }
        message.bytes.withUnsafeBytes { src in
            if let dst = buffer.baseAddress, let s = src.baseAddress, src.count > 0 {
                dst.copyMemory(from: s, byteCount: src.count)
            }
        }
        return CommStatus(source: peer, tag: message.tag, byteCount: message.bytes.count)
    }

    public func barrier() throws {
        try fabric.barrier(rank: rank)
    }

    /// Shuts the fabric down (every blocked rank throws `.aborted`) and stops the process.
    public func abort(errorCode: Int32) -> Never {
        fabric.shutDown()
        fatalError("InProcessCommunicator rank \(rank) aborted with code \(errorCode)")
    }
}

/// The shared state of one in-process group: a FIFO mailbox per (destination, source) pair and a
/// barrier. `@unchecked Sendable`: every field is read and written under `condition`.
final class Fabric: @unchecked Sendable {
    struct Message {
        var tag: Int
        var bytes: [UInt8]
    }

    let size: Int
    private let condition = NSCondition()
    private var mailboxes: [[Message]]
    private var barrierArrived = 0
    private var barrierGeneration = 0
    private var isShutDown = false

    init(size: Int) {
        self.size = size
        mailboxes = Array(repeating: [], count: size * size)
    }

    func deliver(_ bytes: [UInt8], tag: Int, from source: Int, to destination: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        if isShutDown { throw aborted("send", source) }
        mailboxes[destination * size + source].append(Message(tag: tag, bytes: bytes))
        condition.broadcast()
    }

    /// Removes and returns the oldest message from `source` to `destination` matching `tag`
    /// (nil = any), blocking until there is one.
    func take(from source: Int, to destination: Int, tag: Int?, rank: Int) throws -> Message {
        condition.lock()
        defer { condition.unlock() }
        let box = destination * size + source
        while true {
            if let i = mailboxes[box].firstIndex(where: { tag == nil || $0.tag == tag }) {
                return mailboxes[box].remove(at: i)
            }
            if isShutDown { throw aborted("receive", rank) }
            condition.wait()
        }
    }

    /// Whether receives from `source` with these tags (posting order; nil = any) would all find
    /// a message now, each taking the oldest match as `take` does.
    func canMatch(from source: Int, to destination: Int, tags: [Int?]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        var box = mailboxes[destination * size + source].map(\.tag)
        for tag in tags {
            guard let i = box.firstIndex(where: { tag == nil || $0 == tag }) else { return false }
            box.remove(at: i)
        }
        return true
    }

    func barrier(rank: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        if isShutDown { throw aborted("barrier", rank) }
        let generation = barrierGeneration
        barrierArrived += 1
        if barrierArrived == size {
            barrierArrived = 0
            barrierGeneration += 1
            condition.broadcast()
            return
        }
        while barrierGeneration == generation {
            if isShutDown { throw aborted("barrier", rank) }
            condition.wait()
        }
    }

    func shutDown() {
        condition.lock()
        isShutDown = true
        condition.broadcast()
        condition.unlock()
    }

    private func aborted(_ call: String, _ rank: Int) -> CollectiveError {
        CollectiveError(kind: .aborted, call: call, rank: rank,
                        message: "the in-process group was shut down because another rank failed")
    }
}
