// Communicator: the point-to-point transport every collective is written against.
// Implemented by MPICommunicator (real processes) and InProcessCommunicator (threads, for tests).

/// A handle to a non-blocking send or receive; complete it with `Communicator.wait(_:)`.
/// Opaque: only the communicator that made it can interpret `handle`.
public struct CommRequest: Sendable, Hashable {
    /// Implementation-defined value (an MPI_Request's bits, or a table index).
    public let handle: UInt
    public init(handle: UInt) { self.handle = handle }
}

/// What a completed receive reports.
public struct CommStatus: Sendable, Equatable {
    /// Rank that sent the message.
    public var source: Int
    /// Tag the message was sent with.
    public var tag: Int
    /// Payload size in bytes.
    public var byteCount: Int
    public init(source: Int, tag: Int, byteCount: Int) {
        self.source = source
        self.tag = tag
        self.byteCount = byteCount
    }
}

/// Ranks talking to each other. Messages between one pair of ranks are received in the order
/// they were sent (MPI's non-overtaking rule), and receives match in the order they were posted.
///
/// All buffers are raw bytes; a non-blocking operation's buffer must stay valid and untouched
/// until `wait` returns for it. Every failure throws `CollectiveError`.
/// A communicator is used from one thread at a time (the MPI one runs MPI_THREAD_SERIALIZED).
public protocol Communicator: AnyObject, Sendable {
    /// This process's (or thread's) rank, in `0..<size`.
    var rank: Int { get }
    /// Number of ranks.
    var size: Int { get }
    /// The largest tag value a message may carry (at least 32767).
    var maxTag: Int { get }

    /// Blocking send of `bytes` to `peer`.
    func send(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) throws
    /// Blocking receive into `bytes` from `peer`; `tag` nil accepts any tag.
    /// A message longer than `bytes` fails with `.truncated` (or `.mpi` with MPI_ERR_TRUNCATE).
    @discardableResult
    func receive(into bytes: UnsafeMutableRawBufferPointer, from peer: Int, tag: Int?) throws -> CommStatus
    /// Starts a send; the buffer must not change until `wait` returns.
    func startSend(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) throws -> CommRequest
    /// Starts a receive; `tag` nil accepts any tag.
    func startReceive(into bytes: UnsafeMutableRawBufferPointer, from peer: Int, tag: Int?) throws -> CommRequest
    /// Blocks until `request` completes; returns the receive's status (for sends: source = self,
    /// tag = the tag sent, byteCount = 0).
    @discardableResult
    func wait(_ request: CommRequest) throws -> CommStatus
    /// Completes `request` if it can without blocking and returns what `wait` would; returns
    /// nil (the request stays pending) otherwise.
    func test(_ request: CommRequest) throws -> CommStatus?
    /// Sends `bytes` to `destination` and receives from `source` at the same time (deadlock-free).
    @discardableResult
    func sendReceive(_ bytes: UnsafeRawBufferPointer, to destination: Int, sendTag: Int,
                     into received: UnsafeMutableRawBufferPointer, from source: Int,
                     receiveTag: Int?) throws -> CommStatus
    /// Blocks until every rank has called `barrier`.
    func barrier() throws
    /// Ends every rank at once with `errorCode` (MPI_Abort). Does not return.
    func abort(errorCode: Int32) -> Never
    /// How the whole job numbers this communicator's `rank`, for messages that name ranks: itself,
    /// except in a subgroup.
    func worldRank(_ rank: Int) -> Int
}

extension Communicator {
    public func worldRank(_ rank: Int) -> Int { rank }

    /// Default sendrecv: post the receive, send, then wait for the receive.
    @discardableResult
    public func sendReceive(_ bytes: UnsafeRawBufferPointer, to destination: Int, sendTag: Int,
                            into received: UnsafeMutableRawBufferPointer, from source: Int,
                            receiveTag: Int?) throws -> CommStatus {
        let request = try startReceive(into: received, from: source, tag: receiveTag)
        try send(bytes, to: destination, tag: sendTag)
        return try wait(request)
    }

    /// Rank to the right in the ring (`rank + 1`, wrapping).
    public var rightNeighbor: Int { (rank + 1) % size }
    /// Rank to the left in the ring (`rank - 1`, wrapping).
    public var leftNeighbor: Int { (rank + size - 1) % size }

    /// Throws `invalidArgument` from `call` unless `value` (a peer or root, named by `role`) is a
    /// rank of this communicator.
    func checkRank(_ value: Int, as role: String, in call: String) throws {
        guard (0..<size).contains(value) else {
            throw CollectiveError(kind: .invalidArgument, call: call, rank: rank,
                                  message: "\(role) \(value) is outside 0..<\(size)")
        }
    }
}
