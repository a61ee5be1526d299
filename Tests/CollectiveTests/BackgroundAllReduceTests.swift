// BackgroundAllReduceTests: all-reduces started on the background thread give the ring's exact
// sums, in order, round after round; an error in one bucket reaches `finishAllReduces`; a blocking
// call made while buckets are in flight waits for them and then gives its own exact result.
import Testing
@testable import Collective

@Suite struct BackgroundAllReduceTests {
    /// Three buckets of different lengths per round, two rounds on the same queue.
    @Test(arguments: 2...4)
    func queuedBucketsSumExactly(ranks: Int) throws {
        let lengths = [1000, 65537, 3]
        let results = try InProcessCommunicator.run(size: ranks) { comm in
            let collectives = Collectives(comm)
            var rounds: [[Float]] = []
            for round in 0..<2 {
                let total = lengths.reduce(0, +)
                let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: total)
                defer { storage.deallocate() }
                for i in 0..<total { storage[i] = integerValue(rank: comm.rank + round, index: i) }
                var offset = 0
                for length in lengths {
                    collectives.startAllReduce(UnsafeMutableBufferPointer(rebasing: storage[offset..<(offset + length)]), op: .sum)
                    offset += length
                }
                try collectives.finishAllReduces()
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

    /// A bucket whose length differs between ranks fails; `finishAllReduces` throws the mismatch.
    @Test func mismatchReachesFinishAllReduces() throws {
        let error = #expect(throws: CollectiveError.self) {
            _ = try InProcessCommunicator.run(size: 2) { comm in
                let collectives = Collectives(comm)
                var first = [Float](repeating: 1, count: 100)
                var second = [Float](repeating: 1, count: comm.rank == 0 ? 50 : 60)
                try first.withUnsafeMutableBufferPointer { a in
                    try second.withUnsafeMutableBufferPointer { b in
                        collectives.startAllReduce(a)
                        collectives.startAllReduce(b)
                        try collectives.finishAllReduces()
                    }
                }
            }
        }
        guard case .lengthMismatch? = error?.kind else {
            Issue.record("expected a length mismatch, got \(String(describing: error))")
            return
        }
    }

    /// A small sum (as a synchronised batch norm makes mid-backward) while two large buckets are
    /// in flight: it waits for them, every result is exact, and later buckets still overlap.
    @Test(arguments: 2...4)
    func aBlockingCallWhileBucketsAreInFlightIsExact(ranks: Int) throws {
        let results = try InProcessCommunicator.run(size: ranks) { comm in
            let collectives = Collectives(comm)
            func bucket(_ b: Int) -> [Float] { (0..<70_001).map { integerValue(rank: comm.rank + b, index: $0) } }
            var (first, second, third) = (bucket(0), bucket(1), bucket(2))
            var small = (0..<7).map { integerValue(rank: comm.rank, index: $0) }
            try first.withUnsafeMutableBufferPointer { first in
                try second.withUnsafeMutableBufferPointer { second in
                    try third.withUnsafeMutableBufferPointer { third in
                        collectives.startAllReduce(first)
                        collectives.startAllReduce(second)
                        try collectives.allReduce(&small)
                        collectives.startAllReduce(third)
                        try collectives.finishAllReduces()
                    }
                }
            }
            return ([first, second, third], small)
        }
        let expectedSmall = (0..<7).map { i in (0..<ranks).reduce(Float(0)) { $0 + integerValue(rank: $1, index: i) } }
        for (rank, result) in results.enumerated() {
            #expect(result.1 == expectedSmall, "rank \(rank): the small sum")
            for b in 0..<3 {
                let expected = (0..<70_001).map { i in (0..<ranks).reduce(Float(0)) { $0 + integerValue(rank: $1 + b, index: i) } }
                #expect(result.0[b] == expected, "rank \(rank): bucket \(b)")
            }
        }
    }
}
