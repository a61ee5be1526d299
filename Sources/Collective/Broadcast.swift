// Broadcast: root → all, as a pipelined chain around the ring.
// The root streams chunks to its right neighbour; every rank forwards each chunk as it lands.

/// Chain broadcast of raw bytes. Chunk k is forwarded while chunk k+1 is still arriving, so a large
/// buffer costs about one transfer time plus (N-2) chunk times. The byte count travels in the tag:
/// ranks disagreeing on the length get a CollectiveError naming both lengths.
final class ChainBroadcast {
    private let comm: any Communicator
    private let chunkBytes: Int
    private var requests: [CommRequest] = []
    private var sends: [CommRequest] = []

    init(comm: any Communicator, chunkBytes: Int) {
        precondition(chunkBytes > 0)
        self.comm = comm
        self.chunkBytes = chunkBytes
    }

    func run(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        let n = comm.size
        try comm.checkRank(root, as: "root", in: "broadcast")
        guard n > 1 else { return }
        let length = buffer.count
        let tag = length % (comm.maxTag + 1)
        let virtualRank = (comm.rank - root + n) % n
        let isLast = virtualRank == n - 1
        let chunks = max(1, (length + chunkBytes - 1) / chunkBytes)
        let base = buffer.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 16)!
        func chunk(_ k: Int) -> (start: Int, count: Int) {
            (k * chunkBytes, max(0, min(chunkBytes, length - k * chunkBytes)))
        }
        if requests.count < chunks {
            requests = Array(repeating: CommRequest(handle: 0), count: chunks)
            sends = Array(repeating: CommRequest(handle: 0), count: chunks)
        }

        if virtualRank == 0 {
            for k in 0..<chunks {
                let (start, count) = chunk(k)
                sends[k] = try comm.startSend(UnsafeRawBufferPointer(start: base + start, count: count),
                                              to: comm.rightNeighbor, tag: tag)
            }
        } else {
            for k in 0..<chunks {
                let (start, count) = chunk(k)
                requests[k] = try comm.startReceive(
                    into: UnsafeMutableRawBufferPointer(start: base + start, count: count),
                    from: comm.leftNeighbor, tag: nil)
            }
            for k in 0..<chunks {
                let (start, count) = chunk(k)
                let status: CommStatus
                do {
                    status = try comm.wait(requests[k])
                } catch let error as CollectiveError {
                    if let received = error.receivedTag, received != tag { throw mismatch(length, received) }
                    throw error
                }
                if status.tag != tag || status.byteCount != count { throw mismatch(length, status.tag) }
                if !isLast {
                    sends[k] = try comm.startSend(UnsafeRawBufferPointer(start: base + start, count: count),
                                                  to: comm.rightNeighbor, tag: tag)
                }
            }
        }
        if !isLast {
            for k in 0..<chunks { try comm.wait(sends[k]) }
        }
    }

    private func mismatch(_ local: Int, _ remote: Int) -> CollectiveError {
        .lengthMismatch(call: "broadcast", rank: comm.rank, local: local, remote: remote,
                        remoteRank: comm.leftNeighbor, unit: "bytes")
    }
}
