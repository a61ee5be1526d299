// DirectAllReduce: the small-message all-reduce, one round: every rank sends its buffer to every other.
// Latency-bound sizes (a few KB) cost one message time instead of the ring's 2(N-1). Buffers travel
// in pieces small enough to be sent eagerly, so no message waits for a rendezvous handshake.

/// All-to-all exchange, then every rank sums the N buffers in rank order (so results are bit
/// identical on every rank). Traffic is (N-1)× the buffer per rank, so it is only used for small
/// buffers (`CollectiveOptions.smallMessageBytes`). The length travels in the tag, like the ring.
final class DirectAllReduce {
    private let comm: any Communicator
    private var scratch: [Float] = []
    private var requests: [CommRequest] = []

    private let pieceBytes: Int

    init(comm: any Communicator, pieceBytes: Int) {
        precondition(pieceBytes > 0)
        self.comm = comm
        self.pieceBytes = pieceBytes
    }

    func run(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws {
        let n = comm.size, r = comm.rank, length = buffer.count
        guard n > 1 else { return }
        let tag = length % (comm.maxTag + 1)
        if scratch.count < n * length { scratch = [Float](repeating: 0, count: n * length) }
        // Each buffer travels in pieces of at most `pieceBytes`, so every message stays eager.
        let bytes = length * 4
        let pieces = max(1, (bytes + pieceBytes - 1) / pieceBytes)
        func piece(_ k: Int) -> Range<Int> { (k * pieceBytes)..<min(bytes, (k + 1) * pieceBytes) }
        if requests.count < 2 * n * pieces {
            requests = Array(repeating: CommRequest(handle: 0), count: 2 * n * pieces)
        }
        let mine = UnsafeRawBufferPointer(buffer)
        try scratch.withUnsafeMutableBufferPointer { all in
            let base = all.baseAddress!
            // Receive from every peer into its slot (slot = rank); send ours around the ring order.
            for step in 1..<n {
                let peer = (r - step + n) % n
                let slot = UnsafeMutableRawPointer(base + peer * length)
                for k in 0..<pieces {
                    let range = piece(k)
                    requests[step * pieces + k] = try comm.startReceive(
                        into: UnsafeMutableRawBufferPointer(start: slot + range.lowerBound, count: range.count),
                        from: peer, tag: nil)
                }
            }
            for step in 1..<n {
                for k in 0..<pieces {
                    requests[(n + step) * pieces + k] = try comm.startSend(
                        UnsafeRawBufferPointer(rebasing: mine[piece(k)]), to: (r + step) % n, tag: tag)
                }
            }
            for step in 1..<n {
                let peer = (r - step + n) % n
                for k in 0..<pieces {
                    let status: CommStatus
                    do {
                        status = try comm.wait(requests[step * pieces + k])
                    } catch let error as CollectiveError {
                        if let received = error.receivedTag, received != tag {
                            throw mismatch(length, received, peer)
                        }
                        throw error
                    }
                    if status.tag != tag || status.byteCount != piece(k).count { throw mismatch(length, status.tag, peer) }
                }
            }
            for step in 1..<n {
                for k in 0..<pieces { try comm.wait(requests[(n + step) * pieces + k]) }
            }
            guard length > 0, let dst = buffer.baseAddress else { return }
            // Sum in rank order: own values go into slot r, then slots 0..<n accumulate.
            (base + r * length).update(from: dst, count: length)
            dst.update(from: base, count: length)
            for peer in 1..<n { Kernels.accumulate(dst, base + peer * length, count: length) }
            if op == .average { Kernels.scale(dst, count: length, by: 1 / Float(n)) }
        }
    }

    private func mismatch(_ local: Int, _ remote: Int, _ peer: Int) -> CollectiveError {
        .lengthMismatch(call: "allReduce", rank: comm.rank, local: local, remote: remote,
                        remoteRank: peer, unit: "elements")
    }
}
