// ScatterGather: one rank (the root) hands every rank its range of a float buffer, or collects
// every rank's range into the whole — point to point, in chunks. How whole optimizer state
// reaches ranks that keep only their shard of it, and comes back to the rank that saves it.

/// Scatter and gather of per-rank ranges of a `length`-element buffer between `root` and every
/// rank. The ranks' ranges are given on every rank alike (they may be empty; they need not tile
/// the buffer). Each range's element count travels in the tag, so a rank that disagrees on it
/// gets a CollectiveError naming both counts instead of a hang or silent garbage.
enum ScatterGather {
    /// Root: sends each other rank `whole[ranges[rank]]` and returns its own part. Other ranks:
    /// receive and return their part (`whole` is ignored there and may be empty).
    static func scatter(_ comm: any Communicator, whole: UnsafeBufferPointer<Float>, ranges: [Range<Int>],
                        root: Int, chunkElements: Int) throws -> [Float] {
        try check(comm, ranges: ranges, root: root, call: "scatter")
        let mine = ranges[comm.rank]
        guard comm.rank == root else {
            var part = [Float](repeating: 0, count: mine.count)
            try part.withUnsafeMutableBufferPointer {
                try receive(comm, into: $0, from: root, chunkElements: chunkElements, call: "scatter")
            }
            return part
        }
        precondition(ranges.allSatisfy { $0.isEmpty || $0.upperBound <= whole.count }, "a range lies outside the buffer")
        for peer in 0..<comm.size where peer != root {
            try send(comm, UnsafeBufferPointer(rebasing: whole[ranges[peer]]), to: peer, chunkElements: chunkElements)
        }
        return Array(whole[mine])
    }

    /// Every rank sends its `part` (`ranges[rank]` of the whole, that many values); root returns
    /// the `length`-element whole with every rank's part in place (elements in no range are 0),
    /// the other ranks nil.
    static func gather(_ comm: any Communicator, part: UnsafeBufferPointer<Float>, ranges: [Range<Int>], length: Int,
                       root: Int, chunkElements: Int) throws -> [Float]? {
        try check(comm, ranges: ranges, root: root, call: "gather")
        precondition(part.count == ranges[comm.rank].count, "this rank's part holds \(part.count) values, its range \(ranges[comm.rank].count)")
        guard comm.rank == root else {
            try send(comm, part, to: root, chunkElements: chunkElements)
            return nil
        }
        precondition(ranges.allSatisfy { $0.isEmpty || $0.upperBound <= length }, "a range lies outside the buffer")
        var whole = [Float](repeating: 0, count: length)
        try whole.withUnsafeMutableBufferPointer { all in
            for peer in 0..<comm.size {
                let target = UnsafeMutableBufferPointer(rebasing: all[ranges[peer]])
                if peer == root {
                    if !target.isEmpty { target.baseAddress!.update(from: part.baseAddress!, count: part.count) }
                } else {
                    try receive(comm, into: target, from: peer, chunkElements: chunkElements, call: "gather")
                }
            }
        }
        return whole
    }

    private static func check(_ comm: any Communicator, ranges: [Range<Int>], root: Int, call: String) throws {
        try comm.checkRank(root, as: "root", in: call)
        precondition(ranges.count == comm.size, "\(call): \(ranges.count) ranges for \(comm.size) ranks")
    }

    /// The chunks of a `count`-element part, each at most `chunkElements` long (one empty chunk
    /// for an empty part, so the peer still learns the count).
    private static func chunks(_ count: Int, _ chunkElements: Int) -> [Range<Int>] {
        guard count > 0 else { return [0..<0] }
        return stride(from: 0, to: count, by: chunkElements).map { $0..<min(count, $0 + chunkElements) }
    }

    private static func send(_ comm: any Communicator, _ part: UnsafeBufferPointer<Float>, to peer: Int,
                             chunkElements: Int) throws {
        let tag = part.count % (comm.maxTag + 1)
        for chunk in chunks(part.count, chunkElements) {
            try comm.send(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(part)[(chunk.lowerBound * 4)..<(chunk.upperBound * 4)]),
                          to: peer, tag: tag)
        }
    }

    private static func receive(_ comm: any Communicator, into part: UnsafeMutableBufferPointer<Float>, from peer: Int,
                                chunkElements: Int, call: String) throws {
        let tag = part.count % (comm.maxTag + 1)
        let bytes = UnsafeMutableRawBufferPointer(part)
        for chunk in chunks(part.count, chunkElements) {
            let into = UnsafeMutableRawBufferPointer(rebasing: bytes[(chunk.lowerBound * 4)..<(chunk.upperBound * 4)])
            let status: CommStatus
            do {
                status = try comm.receive(into: into, from: peer, tag: nil)
            } catch let error as CollectiveError {
                if let received = error.receivedTag, received != tag { throw mismatch(comm, call, part.count, received, peer) }
                throw error
            }
            if status.tag != tag || status.byteCount != into.count { throw mismatch(comm, call, part.count, status.tag, peer) }
        }
    }

    private static func mismatch(_ comm: any Communicator, _ call: String, _ local: Int, _ remote: Int, _ peer: Int) -> CollectiveError {
        .lengthMismatch(call: call, rank: comm.rank, local: local, remote: remote, remoteRank: peer, unit: "values")
    }
}
