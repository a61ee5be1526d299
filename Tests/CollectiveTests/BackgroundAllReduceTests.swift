// BackgroundAllReduceTests: queued all-reduces on the background thread give the ring's exact
// sums, in order, round after round; an error in one bucket reaches `waitForAll`.
import Testing
@testable import Collective

@Suite struct BackgroundAllReduceTests {
    /// Three buckets of different lengths per round, two rounds on the same queue.
    @Test(arguments: 2...4)
    func queuedBucketsSumExactly(ranks: Int) throws {
        let lengths = [1000, 65537, 3]
        let results = try InProcessCommunicator.run(size: ranks) { comm in
            let background = try BackgroundAllReduce(Collectives(comm))
            var rounds: [[Float]] = []
            for round in 0..<2 {
                let total = lengths.reduce(0, +)
                let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: total)
                defer { storage.deallocate() }
                for i in 0..<total { storage[i] = integerValue(rank: comm.rank + round, index: i) }
                var offset = 0
                for length in lengths {
                    background.enqueue(UnsafeMutableBufferPointer(rebasing: storage[offset..<(offset + length)]), op: .sum)
                    offset += length
                }
                try background.waitForAll()
                rounds.append(Array(storage))
            }
            return rounds
        }
        for round in 0..<2 {
            let expected = (0..<lengths.reduce(0, +)).map { i in
                (0..<ranks).reduce(Float(0)) { $0 + integerValue(rank: $1 + round, index: i) }
            }
            for rank in 0..<ranks { #expect(results[rank][round] == expected, "rank \(rank) round \(round)") }
        }
    }

    /// A bucket whose length differs between ranks fails; `waitForAll` throws the mismatch.
    @Test func mismatchReachesWaitForAll() throws {
        let error = #expect(throws: CollectiveError.self) {
            _ = try InProcessCommunicator.run(size: 2) { comm in
                let background = try BackgroundAllReduce(Collectives(comm))
                var first = [Float](repeating: 1, count: 100)
                var second = [Float](repeating: 1, count: comm.rank == 0 ? 50 : 60)
                try first.withUnsafeMutableBufferPointer { a in
                    try second.withUnsafeMutableBufferPointer { b in
                        background.enqueue(a)
                        background.enqueue(b)
                        try background.waitForAll()
                    }
                }
            }
        }
        guard case .lengthMismatch? = error?.kind else {
            Issue.record("expected a length mismatch, got \(String(describing: error))")
            return
        }
    }
}
