// BroadcastAllGatherTests: broadcast (floats and bytes), all-gather and barrier on in-process ranks.
// Every root, lengths around the chunk size, and a mismatched-length error.
import Testing
@testable import Collective

@Suite struct BroadcastAllGatherTests {
    @Test(arguments: 1...5, [0, 1, 7, 1000, 65537])
    func broadcastFromEveryRoot(ranks: Int, length: Int) throws {
        for root in 0..<ranks {
            let results = try InProcessCommunicator.run(size: ranks) { comm in
                let collectives = Collectives(comm, options: CollectiveOptions(broadcastChunkBytes: 4096))
                var buffer = (0..<length).map { randomValue(rank: comm.rank, index: $0, seed: 9) }
                try buffer.withUnsafeMutableBufferPointer { try collectives.broadcast($0, root: root) }
                return buffer
            }
            let expected = (0..<length).map { randomValue(rank: root, index: $0, seed: 9) }
            for rank in 0..<ranks { #expect(results[rank] == expected, "root \(root) rank \(rank)") }
        }
    }

    @Test(arguments: 1...4)
    func broadcastBytesOfUnknownLength(ranks: Int) throws {
        let text = Array("job:\n  model: mlp\n  lr: 0.01\n".utf8)
        let results = try InProcessCommunicator.run(size: ranks) { comm in
            try Collectives(comm).broadcast(comm.rank == ranks - 1 ? text : [], root: ranks - 1)
        }
        for result in results { #expect(result == text) }
    }

    @Test(arguments: 1...5, [0, 1, 3])
    func allGatherReturnsEveryRanksValues(ranks: Int, count: Int) throws {
        let results = try InProcessCommunicator.run(size: ranks) { comm in
            let collectives = Collectives(comm)
            try collectives.barrier()
            return try collectives.allGather((0..<count).map { Double(comm.rank * 10 + $0) + 0.5 })
        }
        let expected = (0..<ranks).map { r in (0..<count).map { Double(r * 10 + $0) + 0.5 } }
        for result in results { #expect(result == expected) }
    }

    @Test func broadcastLengthMismatchIsAnError() throws {
        let error = #expect(throws: CollectiveError.self) {
            _ = try InProcessCommunicator.run(size: 3) { comm in
                var buffer = [Float](repeating: 0, count: comm.rank == 0 ? 100 : 60)
                try buffer.withUnsafeMutableBufferPointer { try Collectives(comm).broadcast($0, root: 0) }
            }
        }
        #expect(error?.description.contains("400") == true && error?.description.contains("240") == true)
    }

    @Test func allGatherCountMismatchIsAnError() throws {
        let error = #expect(throws: CollectiveError.self) {
            _ = try InProcessCommunicator.run(size: 2) { comm in
                try Collectives(comm).allGather(comm.rank == 0 ? [1, 2] : [1, 2, 3])
            }
        }
        guard case .lengthMismatch? = error?.kind else {
            Issue.record("expected a length mismatch, got \(String(describing: error))")
            return
        }
    }
}
