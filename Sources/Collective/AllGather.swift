// AllGather: every rank contributes a few values and receives everyone's, in rank order.
// A ring of N-1 sendrecv steps; meant for small payloads such as per-rank metrics.

/// Ring all-gather of `count` Doubles per rank into a rank-major array of `size × count`.
/// The per-rank count travels in the tag; ranks disagreeing on it get a CollectiveError.
enum RingAllGather {
    static func run(_ comm: any Communicator, values: [Double]) throws -> [[Double]] {
        let n = comm.size, r = comm.rank, count = values.count
        guard n > 1 else { return [values] }
        let tag = count % (comm.maxTag + 1)
        var gathered = [Double](repeating: 0, count: n * count)
        for i in 0..<count { gathered[r * count + i] = values[i] }
        try gathered.withUnsafeMutableBytes { all in
            let blockBytes = count * MemoryLayout<Double>.stride
            for step in 0..<(n - 1) {
                let sendBlock = ((r - step) % n + n) % n
                let recvBlock = ((r - step - 1) % n + n) % n
                let outgoing = UnsafeRawBufferPointer(rebasing: all[(sendBlock * blockBytes)..<((sendBlock + 1) * blockBytes)])
                let incoming = UnsafeMutableRawBufferPointer(rebasing: all[(recvBlock * blockBytes)..<((recvBlock + 1) * blockBytes)])
                let status: CommStatus
                do {
                    status = try comm.sendReceive(outgoing, to: comm.rightNeighbor, sendTag: tag,
                                                  into: incoming, from: comm.leftNeighbor, receiveTag: nil)
                } catch let error as CollectiveError {
                    if let received = error.receivedTag, received != tag {
                        throw mismatch(comm, count, received)
                    }
                    throw error
                }
                if status.tag != tag || status.byteCount != blockBytes {
                    throw mismatch(comm, count, status.tag)
                }
            }
        }
        return (0..<n).map { Array(gathered[($0 * count)..<(($0 + 1) * count)]) }
    }

    private static func mismatch(_ comm: any Communicator, _ local: Int, _ remote: Int) -> CollectiveError {
        .lengthMismatch(call: "allGather", rank: comm.rank, local: local, remote: remote,
                        remoteRank: comm.leftNeighbor, unit: "values")
    }
}
