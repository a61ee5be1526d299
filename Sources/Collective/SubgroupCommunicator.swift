// SubgroupCommunicator: some of a communicator's ranks as a communicator of their own (the ranks
// of one host, or one rank of each host), over the parent's point-to-point messages.

/// The ranks `members` of `parent` (in that order) as ranks 0 ..< members.count. Messages go
/// through the parent with the members' parent ranks; statuses name subgroup ranks. Two
/// subgroups may share a parent as long as no pair of ranks belongs to both (the two levels of
/// `TwoLevelAllReduce`: one host's ranks, and one rank of each host), so their messages never mix.
final class SubgroupCommunicator: Communicator, @unchecked Sendable {
    /// The communicator underneath.
    let parent: any Communicator
    /// The parent ranks of the subgroup's ranks 0, 1, ...
    let members: [Int]
    let rank: Int
    var size: Int { members.count }
    var maxTag: Int { parent.maxTag }

    /// The subgroup of `members`, which must hold `parent.rank`, each parent rank at most once.
    init(parent: any Communicator, members: [Int]) {
        precondition(Set(members).count == members.count, "a parent rank appears twice in \(members)")
        precondition(members.allSatisfy { (0..<parent.size).contains($0) }, "members \(members) outside 0..<\(parent.size)")
        guard let rank = members.firstIndex(of: parent.rank) else { preconditionFailure("rank \(parent.rank) is not in \(members)") }
        self.parent = parent
        self.members = members
        self.rank = rank
    }

    /// The parent's number for subgroup rank `rank`, and so on up to the whole job's.
    func worldRank(_ rank: Int) -> Int { parent.worldRank(members.indices.contains(rank) ? members[rank] : rank) }

    private func peer(_ rank: Int, _ call: String) throws -> Int {
        try checkRank(rank, as: "peer", in: call)
        return members[rank]
    }

    /// A parent status with its source as a subgroup rank.
    private func translated(_ status: CommStatus) -> CommStatus {
        var status = status
        status.source = members.firstIndex(of: status.source) ?? status.source
        return status
    }

    func send(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) throws {
        try parent.send(bytes, to: self.peer(peer, "send"), tag: tag)
    }

    func receive(into bytes: UnsafeMutableRawBufferPointer, from peer: Int, tag: Int?) throws -> CommStatus {
        translated(try parent.receive(into: bytes, from: self.peer(peer, "receive"), tag: tag))
    }

    func startSend(_ bytes: UnsafeRawBufferPointer, to peer: Int, tag: Int) throws -> CommRequest {
        try parent.startSend(bytes, to: self.peer(peer, "startSend"), tag: tag)
    }

    func startReceive(into bytes: UnsafeMutableRawBufferPointer, from peer: Int, tag: Int?) throws -> CommRequest {
        try parent.startReceive(into: bytes, from: self.peer(peer, "startReceive"), tag: tag)
    }

    func wait(_ request: CommRequest) throws -> CommStatus { translated(try parent.wait(request)) }

    func test(_ request: CommRequest) throws -> CommStatus? { try parent.test(request).map(translated) }

    /// size − 1 rounds of an empty message to the right: after round k each rank has heard,
    /// through its left neighbour, of the k ranks before it, so after the last one of all.
    func barrier() throws {
        var token: UInt8 = 0
        for _ in 0..<max(0, size - 1) {
            try withUnsafeMutableBytes(of: &token) { received in
                _ = try sendReceive(UnsafeRawBufferPointer(start: nil, count: 0), to: rightNeighbor, sendTag: 0,
                                    into: UnsafeMutableRawBufferPointer(rebasing: received[0..<0]), from: leftNeighbor, receiveTag: 0)
            }
        }
    }

    func abort(errorCode: Int32) -> Never { parent.abort(errorCode: errorCode) }
}
