// QuietBarrierTests: the sleeping barrier holds every rank until the last arrives, on
// in-process ranks; `test` completes a receive only once its message is there.
import Foundation
import Synchronization
import Testing
@testable import Collective

@Suite struct QuietBarrierTests {
    /// Rank 0 arrives last; a counter it bumps just before arriving must be seen by everyone after.
    @Test(arguments: 1...4)
    func nobodyLeavesBeforeTheLastArrives(ranks: Int) throws {
        let arrived = Atomic<Int>(0)
        let seen = try InProcessCommunicator.run(size: ranks) { comm in
            let collectives = Collectives(comm)
            for round in 1...3 {
                if comm.rank == 0 {
                    usleep(20_000)
                    arrived.store(round, ordering: .sequentiallyConsistent)
                }
                try collectives.quietBarrier(pollInterval: .microseconds(50))
                if arrived.load(ordering: .sequentiallyConsistent) < round { return false }
            }
            return true
        }
        #expect(seen.allSatisfy { $0 })
    }

    @Test func testCompletesOnlyWhenTheMessageIsThere() throws {
        _ = try InProcessCommunicator.run(size: 2) { comm in
            var value: Int32 = 0
            if comm.rank == 1 {
                try withUnsafeMutableBytes(of: &value) { buffer in
                    let request = try comm.startReceive(into: buffer, from: 0, tag: 5)
                    #expect(try comm.test(request) == nil)
                    try comm.barrier()            // rank 0 sends after this
                    var status: CommStatus?
                    while status == nil { status = try comm.test(request) }
                    #expect(status == CommStatus(source: 0, tag: 5, byteCount: 4))
                }
                #expect(value == 42)
            } else {
                try comm.barrier()
                var answer: Int32 = 42
                try withUnsafeBytes(of: &answer) { try comm.send($0, to: 1, tag: 5) }
            }
        }
    }
}
