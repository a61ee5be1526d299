// SingleRankCommunicator: the communicator of a process that trains alone — rank 0 of 1, no MPI.
// Every collective returns before sending anything, so any message here is a programmer error.
import Foundation

/// One rank, no peers: lets a one-process run use the same `Collectives` as N ranks.
public final class SingleRankCommunicator: Communicator {
    public init() {}

    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var maxTag: Int { 32767 }

    public func send(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) throws { throw noPeer("send", peer) }

    public func receive(into bytes: UnsafeMutableRawBufferPointer, from peer: Int, tag: Int?) throws -> CommStatus {
        throw noPeer("receive", peer)
    }

    public func startSend(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) throws -> CommRequest {
        throw noPeer("startSend", peer)
    }

    public func startReceive(into bytes: UnsafeMutableRawBufferPointer, from peer: Int, tag: Int?) throws -> CommRequest {
        throw noPeer("startReceive", peer)
    }

    public func wait(_ request: CommRequest) throws -> CommStatus { throw noPeer("wait", nil) }

    public func test(_ request: CommRequest) throws -> CommStatus? { throw noPeer("test", nil) }

    /// Returns at once: the only rank has arrived.
    public func barrier() throws {}

    /// Ends the process with `errorCode`.
    public func abort(errorCode: Int32) -> Never { exit(errorCode) }

    private func noPeer(_ call: String, _ peer: Int?) -> CollectiveError {
        CollectiveError(kind: .invalidArgument, call: call, rank: 0,
                        message: "a single-rank communicator has no peer\(peer.map { " \($0)" } ?? "") to talk to")
    }
}
