// MPICommunicator: the Communicator over Open MPI (MPI_COMM_WORLD, MPI_ERRORS_RETURN).
// Every MPI call of the project lives in this module; failures become CollectiveError.
import CMPI

/// The world communicator over MPI. Create with `MPICommunicator.world()`; works both under
/// mpirun and as a singleton (size 1) when the process was started directly.
///
/// `@unchecked Sendable`: it holds only immutable values (the MPI_COMM_WORLD handle, rank, size),
/// and MPI is initialised MPI_THREAD_SERIALIZED, so callers use it from one thread at a time.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    public let maxTag: Int
    private let comm: MPI_Comm

    private init() throws {
        comm = cmpi_comm_world()
        var r: Int32 = 0
        var s: Int32 = 0
        try MPIEnvironment.check(MPI_Comm_rank(comm, &r), call: "MPI_Comm_rank", rank: 0)
        try MPIEnvironment.check(MPI_Comm_size(comm, &s), call: "MPI_Comm_size", rank: Int(r))
        rank = Int(r)
        size = Int(s)
        var attribute: UnsafeMutableRawPointer? = nil
        var flag: Int32 = 0
        try MPIEnvironment.check(MPI_Comm_get_attr(comm, cmpi_tag_ub(), &attribute, &flag),
                                 call: "MPI_Comm_get_attr", rank: rank)
        if flag != 0, let attribute {
            maxTag = Int(attribute.load(as: Int32.self))
        } else {
            maxTag = 32767
        }
    }

    /// Initialises MPI if needed (MPIEnvironment.initialize) and returns the world communicator.
    public static func world() throws -> MPICommunicator {
        try MPIEnvironment.initialize()
        return try MPICommunicator()
    }

    private func check(_ rc: Int32, _ call: String, tag: Int? = nil) throws {
        try MPIEnvironment.check(rc, call: call, rank: rank, receivedTag: tag)
    }

    private func count(_ bytes: Int) -> Int32 {
        precondition(bytes <= Int(Int32.max), "message of \(bytes) bytes exceeds MPI's int count")
        return Int32(bytes)
    }

    public func send(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) throws {
        try checkRank(peer, as: "peer", in: "MPI_Send")
        try check(MPI_Send(bytes.baseAddress, count(bytes.count), cmpi_byte(), Int32(peer),
                           Int32(tag), comm), "MPI_Send")
    }

    @discardableResult
    public func receive(into bytes: UnsafeMutableRawBufferPointer, from peer: Int,
                        tag: Int?) throws -> CommStatus {
        try checkRank(peer, as: "peer", in: "MPI_Recv")
        var status = MPI_Status()
        let rc = MPI_Recv(bytes.baseAddress, count(bytes.count), cmpi_byte(), Int32(peer),
                          Int32(tag ?? Int(cmpi_any_tag())), comm, &status)
        try check(rc, "MPI_Recv", tag: Int(status.MPI_TAG))
        return try makeStatus(&status)
    }

    public func startSend(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) throws -> CommRequest {
        try checkRank(peer, as: "peer", in: "MPI_Isend")
        var request: MPI_Request? = cmpi_request_null()
        try check(MPI_Isend(bytes.baseAddress, count(bytes.count), cmpi_byte(), Int32(peer),
                            Int32(tag), comm, &request), "MPI_Isend")
        return CommRequest(handle: UInt(bitPattern: request.map { Int(bitPattern: $0) } ?? 0))
    }

    public func startReceive(into bytes: UnsafeMutableRawBufferPointer, from peer: Int,
                             tag: Int?) throws -> CommRequest {
        try checkRank(peer, as: "peer", in: "MPI_Irecv")
        var request: MPI_Request? = cmpi_request_null()
        try check(MPI_Irecv(bytes.baseAddress, count(bytes.count), cmpi_byte(), Int32(peer),
                            Int32(tag ?? Int(cmpi_any_tag())), comm, &request), "MPI_Irecv")
        return CommRequest(handle: UInt(bitPattern: request.map { Int(bitPattern: $0) } ?? 0))
    }

    @discardableResult
    public func wait(_ request: CommRequest) throws -> CommStatus {
        var handle: MPI_Request? = MPI_Request(bitPattern: Int(bitPattern: request.handle))
        var status = MPI_Status()
        let rc = MPI_Wait(&handle, &status)
        try check(rc, "MPI_Wait", tag: Int(status.MPI_TAG))
        return try makeStatus(&status)
    }

    public func test(_ request: CommRequest) throws -> CommStatus? {
        var handle: MPI_Request? = MPI_Request(bitPattern: Int(bitPattern: request.handle))
        var done: Int32 = 0
        var status = MPI_Status()
        let rc = MPI_Test(&handle, &done, &status)
        try check(rc, "MPI_Test", tag: Int(status.MPI_TAG))
        return done != 0 ? try makeStatus(&status) : nil
    }

    private func makeStatus(_ status: inout MPI_Status) throws -> CommStatus {
        var received: Int32 = 0
        try check(MPI_Get_count(&status, cmpi_byte(), &received), "MPI_Get_count")
        return CommStatus(source: Int(status.MPI_SOURCE), tag: Int(status.MPI_TAG),
                          byteCount: Int(max(0, received)))
    }

    @discardableResult
    public func sendReceive(_ bytes: UnsafeRawBufferPointer, to destination: Int, sendTag: Int,
                            into received: UnsafeMutableRawBufferPointer, from source: Int,
                            receiveTag: Int?) throws -> CommStatus {
        try checkRank(destination, as: "peer", in: "MPI_Sendrecv")
        try checkRank(source, as: "peer", in: "MPI_Sendrecv")
        var status = MPI_Status()
        let rc = MPI_Sendrecv(bytes.baseAddress, count(bytes.count), cmpi_byte(),
                              Int32(destination), Int32(sendTag),
                              received.baseAddress, count(received.count), cmpi_byte(),
                              Int32(source), Int32(receiveTag ?? Int(cmpi_any_tag())), comm, &status)
        try check(rc, "MPI_Sendrecv", tag: Int(status.MPI_TAG))
        return try makeStatus(&status)
    }

    public func barrier() throws {
        try check(MPI_Barrier(comm), "MPI_Barrier")
    }

    public func abort(errorCode: Int32) -> Never {
        MPI_Abort(comm, errorCode)
        fatalError("MPI_Abort returned")
    }

    /// Open MPI's own MPI_Allreduce, in place (the reference the ring is checked and benchmarked
    /// against). `op` is `.sum` or `.average` (sum, then scale by 1/size).
    public func mpiAllReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws {
        guard size > 1, buffer.count > 0 else { return }
        try check(MPI_Allreduce(cmpi_in_place(), buffer.baseAddress, count(buffer.count),
                                cmpi_float(), cmpi_op_sum(), comm), "MPI_Allreduce")
        if op == .average { Kernels.scale(buffer, by: 1 / Float(size)) }
    }

    /// MPI_Allreduce of Doubles with MPI_MAX, in place (used for timing: the slowest rank).
    public func mpiAllReduceMax(_ values: inout [Double]) throws {
        guard size > 1, !values.isEmpty else { return }
        let n = count(values.count)
        try values.withUnsafeMutableBufferPointer { p in
            try check(MPI_Allreduce(cmpi_in_place(), p.baseAddress, n, cmpi_double(),
                                    cmpi_op_max(), comm), "MPI_Allreduce")
        }
    }

    /// MPI_Bcast of Floats from `root` (reference for tests).
    public func mpiBroadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        guard size > 1, buffer.count > 0 else { return }
        try check(MPI_Bcast(buffer.baseAddress, count(buffer.count), cmpi_float(), Int32(root), comm),
                  "MPI_Bcast")
    }
}
