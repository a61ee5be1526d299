// SharedMemoryAllReduceTests: collectives on buffers in memory the ranks share (in-process ranks
// mapping one real /dev/shm block) give the flat ring's bits — all-reduce, sum and average, fp16
// on the wire, reduce-scatter then all-gather, at any offset; the two-level scheme's steps within
// each host give its bits — and refuse what they cannot do:
// ranks disagreeing on the buffer, ranks on several hosts, a block left by a process that died;
// and a long wait at the barrier sleeps rather than keeping a core busy.
import Foundation
import Testing
@testable import Collective

@Suite(.serialized) struct SharedMemoryAllReduceTests {
    /// Every buffer takes the ring or the shared memory, whatever its size.
    static let options = CollectiveOptions(chunkElements: 16, wholeSegmentElements: 0, pipelineDepth: 3, smallMessageBytes: 0)
    static let lengths = [1, 2, 5, 7, 100, 1001]
    static let elements = 1100

    /// Runs `body` on `size` in-process ranks with memory mapped for 2 buffers of `elements`.
    static func run<T: Sendable>(size: Int, _ body: @escaping @Sendable (Collectives, HostSharedMemory) throws -> T) throws -> [T] {
        try InProcessCommunicator.run(size: size) { comm in
            let collectives = Collectives(comm, options: options)
            collectives.allowsHostMemory = true
            let memory = try #require(try collectives.mapHostMemory(elements: elements, buffers: 2, hostIdentity: 5))
            #expect(collectives.usesHostMemory && memory.ranks == size && memory.rank == comm.rank)
            return try body(collectives, memory)
        }
    }

    /// The flat ring's result for the same values, on private arrays.
    static func ring(size: Int, length: Int, op: ReduceOp, halfPrecision: Bool) throws -> [[Float]] {
        try InProcessCommunicator.run(size: size) { comm in
            let collectives = Collectives(comm, options: options)
            var values = (0..<length).map { SeededTestValues.value(rank: comm.rank, index: $0) }
            try collectives.allReduce(&values, op: op, halfPrecision: halfPrecision)
            return values
        }
    }

    @Test(arguments: [2, 3, 4, 5], [false, true])
    func allReduceGivesTheRingsBits(size: Int, halfPrecision: Bool) throws {
        for length in Self.lengths {
            for op in ReduceOp.allCases {
                let expected = try Self.ring(size: size, length: length, op: op, halfPrecision: halfPrecision)
                // At the start of the second buffer and at an odd offset in the first.
                for (index, offset) in [(1, 0), (0, Self.elements - length - 3)] {
                    let results = try Self.run(size: size) { collectives, memory in
                        let buffer = UnsafeMutableBufferPointer(start: memory.buffer(index, rank: memory.rank) + offset, count: length)
                        for i in 0..<length { buffer[i] = SeededTestValues.value(rank: memory.rank, index: i) }
                        #expect(collectives.runsInSharedMemory(buffer, allReduce: true))
                        try collectives.allReduce(buffer, op: op, halfPrecision: halfPrecision)
                        #expect(collectives.sharedMemoryCalls == 1, "the all-reduce did not run through shared memory")
                        return Array(buffer)
                    }
                    for rank in 0..<size {
                        #expect(results[rank].map(\.bitPattern) == expected[rank].map(\.bitPattern),
                                "\(size) ranks, length \(length), \(op), fp16 \(halfPrecision), buffer \(index) + \(offset), rank \(rank)")
                    }
                }
            }
        }
    }

    /// The sharded update's pattern: reduce-scatter the gradients, change the owned part of the
    /// parameters, all-gather them; the same bits as through the ring.
    @Test(arguments: [2, 3, 4])
    func reduceScatterThenAllGatherGiveTheRingsBits(size: Int) throws {
        for length in Self.lengths {
            @Sendable func step(_ collectives: Collectives, gradients: UnsafeMutableBufferPointer<Float>,
                                parameters: UnsafeMutableBufferPointer<Float>) throws -> [Float] {
                let rank = collectives.rank
                for i in 0..<gradients.count {
                    gradients[i] = SeededTestValues.value(rank: rank, index: i)
                    parameters[i] = SeededTestValues.value(rank: 99, index: i)
                }
                let owned = try collectives.reduceScatter(gradients, op: .average)
                for i in owned { parameters[i] -= 0.5 * gradients[i] }
                try collectives.allGather(segments: parameters)
                return Array(parameters)
            }
            let expected = try InProcessCommunicator.run(size: size) { comm in
                var g = [Float](repeating: 0, count: length), p = g
                return try g.withUnsafeMutableBufferPointer { gb in
                    try p.withUnsafeMutableBufferPointer { pb in try step(Collectives(comm, options: Self.options), gradients: gb, parameters: pb) }
                }
            }
            let results = try Self.run(size: size) { collectives, memory in
                let gradients = UnsafeMutableBufferPointer(start: memory.buffer(1, rank: memory.rank), count: length)
                let parameters = UnsafeMutableBufferPointer(start: memory.buffer(0, rank: memory.rank), count: length)
                #expect(collectives.runsInSharedMemory(gradients) && collectives.runsInSharedMemory(parameters))
                #expect(!collectives.runsInSharedMemory(UnsafeMutableBufferPointer(start: memory.buffer(0, rank: (memory.rank + 1) % size), count: 1)),
                        "another rank's buffer is not this rank's to reduce")
                let result = try step(collectives, gradients: gradients, parameters: parameters)
                #expect(collectives.sharedMemoryCalls == 2, "not both halves ran through shared memory")
                return result
            }
            for rank in 0..<size {
                #expect(results[rank].map(\.bitPattern) == expected[rank].map(\.bitPattern), "\(size) ranks, length \(length), rank \(rank)")
                #expect(results[rank] == results[0])
            }
        }
    }

    /// Ranks on several hosts: each host's ranks map memory of their own, and the two-level
    /// all-reduce's steps within a host run through it with its bits through messages.
    @Test(arguments: TwoLevelAllReduceTests.layouts, [false, true])
    func twoLevelStepsWithinHostsGiveItsBits(hosts: [UInt32], halfPrecision: Bool) throws {
        let size = hosts.count
        for length in Self.lengths {
            for op in ReduceOp.allCases {
                /// An all-reduce of the values, then a reduce-scatter and all-gather of them (the sharded update's halves).
                @Sendable func both(_ collectives: Collectives, _ buffer: UnsafeMutableBufferPointer<Float>) throws -> [Float] {
                    for i in 0..<length { buffer[i] = SeededTestValues.value(rank: collectives.rank, index: i) }
                    try collectives.allReduce(buffer, op: op, halfPrecision: halfPrecision)
                    var result = Array(buffer)
                    for i in 0..<length { buffer[i] = SeededTestValues.value(rank: collectives.rank + 7, index: i) }
                    try collectives.reduceScatter(buffer, op: op, halfPrecision: halfPrecision)
                    try collectives.allGather(segments: buffer)
                    result += Array(buffer)
                    return result
                }
                let expected = try InProcessCommunicator.run(size: size) { comm in
                    let collectives = Collectives(comm, options: Self.options)
                    try collectives.chooseAllReduce(.twoLevel, hostIdentity: hosts[comm.rank])
                    var values = [Float](repeating: 0, count: length)
                    return try values.withUnsafeMutableBufferPointer { try both(collectives, $0) }
                }
                let results = try InProcessCommunicator.run(size: size) { comm in
                    let collectives = Collectives(comm, options: Self.options)
                    collectives.allowsHostMemory = true
                    try collectives.chooseAllReduce(.twoLevel, hostIdentity: hosts[comm.rank])
                    let memory = try #require(try collectives.mapHostMemory(elements: Self.elements, buffers: 1, hostIdentity: hosts[comm.rank]))
                    let buffer = UnsafeMutableBufferPointer(start: memory.buffer(0, rank: memory.rank) + 3, count: length)
                    #expect(memory.ranks == size / Set(hosts).count && collectives.ranksSharingMemory == memory.ranks)
                    #expect(!collectives.runsInSharedMemory(buffer), "messages still cross hosts")
                    let result = try both(collectives, buffer)
                    #expect(collectives.sharedMemoryCalls == 4, "the steps within the host did not run through shared memory")
                    return result
                }
                for rank in 0..<size {
                    #expect(results[rank].map(\.bitPattern) == expected[rank].map(\.bitPattern),
                            "\(hosts), length \(length), \(op), fp16 \(halfPrecision), rank \(rank)")
                }
            }
        }
    }

    /// `auto` prices the two-level scheme's steps within a host at what they take through the
    /// memory the host's ranks share, timed when it is mapped (rank 0's host's figure, the same on
    /// every rank), in fp32 whatever the wire format, and the flat ring's at the message link;
    /// without shared memory both at the message link. The timing leaves the block zeroed. (What it times is not asserted: tests
    /// never assert on time.)
    @Test func autoPricesTheStepsWithinAHostAtSharedMemory() throws {
        let hosts: [UInt32] = [7, 7, 9, 9]
        let local = LinkCost(latency: 2e-6, bandwidth: 1e9), network = LinkCost(latency: 1e-5, bandwidth: 1e8)
        for (allowed, fp16) in [(false, false), (true, false), (true, true)] {
            let transfer = AllReduceTransfer(elements: 1 << 18, halfWire: fp16, gathersParameters: false)
            func model(_ algorithm: AllReduceAlgorithm, _ local: LinkCost, shared: Bool = false) -> Double {
                AllReduceCost.seconds(algorithm, transfer, ranks: 4, hosts: 2, perHost: 2, network: network, local: local,
                                      sharedWithinHosts: shared).total
            }
            let decisions = try InProcessCommunicator.run(size: 4) { comm in
                let collectives = Collectives(comm, options: Self.options)
                collectives.allowsHostMemory = allowed
                try collectives.chooseAllReduce(.auto, hostIdentity: hosts[comm.rank], links: (local, network))
                let memory = try collectives.mapHostMemory(elements: 1 << 18, buffers: 1, hostIdentity: hosts[comm.rank])
                #expect((memory != nil) == allowed)
                if let memory {
                    #expect(UnsafeBufferPointer(start: memory.buffer(0, rank: memory.rank), count: 1 << 18).allSatisfy { $0 == 0 },
                            "the timing left values in the block")
                }
                return try #require(collectives.settleAllReduce(transfers: [transfer]))
            }
            let decision = decisions[0]
            #expect(decisions.allSatisfy { $0 == decision }, "ranks decided differently")
            #expect(decision.ringSeconds == model(.ring, local))
            if allowed {
                let shared = try #require(decision.sharedLocal, "nothing timed")
                #expect(shared.latency >= 0 && shared.bandwidth > 0 && shared.bandwidth.isFinite, "\(shared)")
                // Shared memory moves fp32 within a host whatever the wire: fp16 halves only the steps across hosts.
                #expect(decision.twoLevelSeconds == model(.twoLevel, shared, shared: true))
                if fp16 { #expect(decision.twoLevelSeconds > model(.twoLevel, shared)) }
            } else {
                #expect(decision.sharedLocal == nil && decision.twoLevelSeconds == model(.twoLevel, local))
            }
        }
    }

    @Test func ranksDisagreeingOnTheBufferGetAnErrorNamingBoth() throws {
        let errors = try Self.run(size: 2) { collectives, memory in
            let offset = memory.rank == 0 ? 0 : 8
            let buffer = UnsafeMutableBufferPointer(start: memory.buffer(0, rank: memory.rank) + offset, count: 100)
            do {
                try collectives.allReduce(buffer)
                return ""
            } catch let error as CollectiveError {
                return error.description
            }
        }
        #expect(errors[0].contains("rank 0 called all-reduce on 100 elements at offset 0") && errors[0].contains("rank 1 on 100 at offset 8"), "\(errors[0])")
        #expect(errors[1].contains("rank 1 called all-reduce on 100 elements at offset 8"), "\(errors[1])")
    }

    /// A rank waiting at the barrier for a peer 1 s late sleeps between looks once the wait is
    /// long (2 ms), instead of yielding at every look and keeping its core busy. It still sees
    /// the peer's values. (docs/benchmarks.md has the waiting thread's CPU time.)
    @Test func aLongWaitDoesNotKeepACoreBusy() throws {
        let results = try Self.run(size: 2) { collectives, memory in
            let buffer = UnsafeMutableBufferPointer(start: memory.buffer(0, rank: memory.rank), count: 100)
            for i in 0..<100 { buffer[i] = Float(memory.rank + 1) }
            if memory.rank == 1 { Thread.sleep(forTimeInterval: 1) }
            try collectives.allReduce(buffer)
            #expect(collectives.sharedMemoryCalls == 1)
            return (memory.naps, buffer[0], buffer[99])
        }
        #expect(results[0].0 > 0, "rank 0 waited for rank 1 without sleeping")
        #expect(results.allSatisfy { $0.1 == 3 && $0.2 == 3 })
    }

    /// Ranks on several hosts with the flat ring, or not allowed: nothing is mapped.
    @Test func nothingIsMappedAcrossHostsOrWhenNotAllowed() throws {
        let mapped = try InProcessCommunicator.run(size: 3) { comm in
            let collectives = Collectives(comm, options: Self.options)
            let notAllowed = try collectives.mapHostMemory(elements: 10, buffers: 1, hostIdentity: 1) != nil
            collectives.allowsHostMemory = true
            let twoHosts = try collectives.mapHostMemory(elements: 10, buffers: 1, hostIdentity: comm.rank == 2 ? 2 : 1) != nil
            return [notAllowed, twoHosts, collectives.usesHostMemory]
        }
        #expect(mapped.allSatisfy { $0 == [false, false, false] })
    }

    /// A block /dev/shm has no room for maps nothing on any rank, every rank learns why (here
    /// rank 0's own region), the name is removed, and the ranks go on through messages.
    @Test func aBlockWithoutRoomFallsBackToMessagesOnEveryRank() throws {
        let results = try InProcessCommunicator.run(size: 2) { comm in
            let collectives = Collectives(comm, options: Self.options)
            collectives.allowsHostMemory = true
            let mapped = try collectives.mapHostMemory(elements: 1 << 42, buffers: 2, hostIdentity: 3) != nil
            var values: [Float] = [Float(comm.rank + 1), 2]
            try collectives.allReduce(&values)
            return (mapped, collectives.usesHostMemory, collectives.hostMemoryNote ?? "", values)
        }
        for (rank, (mapped, uses, note, values)) in results.enumerated() {
            #expect(!mapped && !uses && values == [3, 4], "rank \(rank)")
            #expect(note.contains("gradients go as messages") && note.contains("rank 0 could not reserve"), "rank \(rank): \(note)")
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []).allSatisfy { !$0.hasPrefix("ringtrain-\(getpid())-") })
    }

    /// The block's name is gone once every rank has mapped it, and a block whose maker died before
    /// unlinking it is removed by the next one made.
    @Test func noBlockOutlivesTheJob() throws {
        @Sendable func blocks() -> Set<String> {
            Set(((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []).filter { $0.hasPrefix("ringtrain-\(getpid())-") })
        }
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        let stale = "/dev/shm/ringtrain-\(ended.processIdentifier)-stale-test", fresh = "/dev/shm/ringtrain-\(ended.processIdentifier)-fresh-test"
        #expect(FileManager.default.createFile(atPath: stale, contents: Data([1])))
        #expect(FileManager.default.createFile(atPath: fresh, contents: Data([1])))
        defer { try? FileManager.default.removeItem(atPath: fresh) }
        // Older than a job's mapping could last; the fresh one might be another PID namespace's live job.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -HostSharedMemory.staleAfterSeconds - 60)],
                                              ofItemAtPath: stale)
        let mapped = try Self.run(size: 2) { _, memory in memory.ranks }
        #expect(mapped == [2, 2])
        #expect(blocks().isEmpty, "a block's name outlived the ranks that mapped it: \(blocks())")
        #expect(!FileManager.default.fileExists(atPath: stale), "a dead maker's old block stayed")
        #expect(FileManager.default.fileExists(atPath: fresh), "a block made moments ago was removed")
    }
}
