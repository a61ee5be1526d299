// SingleRankTests: a process training alone uses Collectives over a SingleRankCommunicator — every
// collective leaves its data as it is and returns without a message; the communicator refuses sends.
import Testing
@testable import Collective

@Suite struct SingleRankTests {
    @Test func everyCollectiveIsTheIdentity() throws {
        let collectives = Collectives.singleRank()
        #expect(collectives.rank == 0 && collectives.size == 1)
        var values: [Float] = [1.5, -2, 3]
        try collectives.allReduce(&values, op: .average, halfPrecision: true)
        try values.withUnsafeMutableBufferPointer { buffer in
            #expect(try collectives.reduceScatter(buffer) == 0..<3)
            try collectives.allGather(segments: buffer)
            try collectives.broadcast(buffer, root: 0)
            collectives.startAllReduce(buffer)
            try collectives.finishAllReduces()
        }
        #expect(values == [1.5, -2, 3])
        #expect(try collectives.sum([2, 5]) == [2, 5])
        #expect(try collectives.broadcast([7, 8], root: 0) == [7, 8])
        var ran = false
        try collectives.whileRootWorks("a test") { ran = true }
        #expect(ran)
        try collectives.barrier()
    }

    @Test func theCommunicatorHasNoPeer() throws {
        let communicator = SingleRankCommunicator()
        let error = #expect(throws: CollectiveError.self) {
            try communicator.send(UnsafeRawBufferPointer(start: nil, count: 0), to: 0, tag: 0)
        }
        #expect(error?.kind == .invalidArgument)
    }
}
