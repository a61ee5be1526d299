// CollectiveCheck: the ring collectives against MPI's own on seeded data, run under mpirun by
// `ringtrain collective-check` (the integration tests); every rank lists what it found wrong.
import Collective
import Foundation
import Logging
import Worker

/// Checks of all-reduce, broadcast, all-gather, byte broadcast and the quiet barrier on every rank.
public enum CollectiveCheck {
    /// Runs every check for each of `lengths` (elements) with data seeded by `seed`; returns this
    /// rank's failures, empty when everything matched.
    public static func run(_ collectives: Collectives, _ comm: MPICommunicator, lengths: [Int], seed: UInt64) throws -> [String] {
        var failures: [String] = []
        for length in lengths {
            failures += try checkAllReduce(collectives, comm, length: length, seed: seed)
            failures += try checkBroadcast(collectives, comm, length: length, seed: seed)
        }
        failures += try checkAllGather(collectives, comm, seed: seed)
        failures += try checkBytes(collectives, comm, seed: seed)
        failures += try checkQuietBarrier(collectives, comm)
        return failures
    }

    /// Integer-valued data must match MPI_Allreduce exactly; random data within N·2⁻²³·Σ|x|
    /// (summation order differs); average within the same bound scaled by 1/N.
    static func checkAllReduce(_ c: Collectives, _ comm: MPICommunicator, length: Int, seed: UInt64) throws -> [String] {
        var failures: [String] = []
        let n = comm.size
        var ints = (0..<length).map { SeededTestValues.integer(rank: comm.rank, index: $0) }
        var reference = ints
        try c.allReduce(&ints, op: .sum)
        try reference.withUnsafeMutableBufferPointer { try comm.mpiAllReduce($0, op: .sum) }
        if ints != reference { failures.append("allReduce sum of integers, length \(length): differs from MPI_Allreduce") }

        for op in ReduceOp.allCases {
            var ours = (0..<length).map { SeededTestValues.value(rank: comm.rank, index: $0, seed: seed) }
            var theirs = ours
            var magnitude = ours.map { abs($0) }
            try c.allReduce(&ours, op: op)
            try theirs.withUnsafeMutableBufferPointer { try comm.mpiAllReduce($0, op: op) }
            try magnitude.withUnsafeMutableBufferPointer { try comm.mpiAllReduce($0, op: .sum) }
            let scale: Float = op == .average ? 1 / Float(n) : 1
            for i in 0..<length {
                let tolerance = 2 * Float(n) * 0x1p-23 * magnitude[i] * scale + 1e-30
                if abs(ours[i] - theirs[i]) > tolerance {
                    failures.append("allReduce \(op) of random values, length \(length), [\(i)]: \(ours[i]) vs MPI \(theirs[i])")
                    break
                }
            }
        }
        return failures
    }

    static func checkBroadcast(_ c: Collectives, _ comm: MPICommunicator, length: Int, seed: UInt64) throws -> [String] {
        let root = length % comm.size
        var ours = (0..<length).map { SeededTestValues.value(rank: comm.rank + 100, index: $0, seed: seed) }
        var theirs = ours
        try ours.withUnsafeMutableBufferPointer { try c.broadcast($0, root: root) }
        try theirs.withUnsafeMutableBufferPointer { try comm.mpiBroadcast($0, root: root) }
        return ours == theirs ? [] : ["broadcast from root \(root), length \(length): differs from MPI_Bcast"]
    }

    static func checkAllGather(_ c: Collectives, _ comm: MPICommunicator, seed: UInt64) throws -> [String] {
        let mine = [Double(comm.rank), Double(comm.rank) * 0.5, Double(seed)]
        let gathered = try c.allGather(mine)
        let expected = (0..<comm.size).map { [Double($0), Double($0) * 0.5, Double(seed)] }
        return gathered == expected ? [] : ["allGather: got \(gathered), expected \(expected)"]
    }

    static func checkBytes(_ c: Collectives, _ comm: MPICommunicator, seed: UInt64) throws -> [String] {
        let text = Array("seed: \(seed)\nranks: \(comm.size)\n".utf8)
        let received = try c.broadcast(comm.rank == 0 ? text : [], root: 0)
        return received == text ? [] : ["broadcast of bytes: got \(received.count) bytes, expected \(text.count)"]
    }

    /// The quiet barrier holds every rank until rank 0 arrives: rank 0 dawdles with receives
    /// posted for the messages the others send right after the barrier, and none may be there.
    static func checkQuietBarrier(_ collectives: Collectives, _ comm: MPICommunicator) throws -> [String] {
        var token: Int32 = 0
        let tag = 77
        guard comm.rank == 0 else {
            try collectives.quietBarrier()
            try withUnsafeBytes(of: &token) { try comm.send($0, to: 0, tag: tag) }
            return []
        }
        var tokens = [Int32](repeating: 0, count: comm.size)
        return try tokens.withUnsafeMutableBytes { raw in
            let requests = try (1..<comm.size).map { peer in
                try comm.startReceive(into: UnsafeMutableRawBufferPointer(rebasing: raw[(peer * 4)..<(peer * 4 + 4)]),
                                      from: peer, tag: tag)
            }
            usleep(100_000)
            var failures: [String] = []
            for (i, request) in requests.enumerated() where try comm.test(request) != nil {
                failures.append("quiet barrier: rank \(i + 1) passed it before rank 0 arrived")
            }
            try collectives.quietBarrier()
            for request in requests { _ = try? comm.wait(request) }
            return failures
        }
    }

    /// Rank 0 passes one more element than the others. A rank that detects the mismatch logs the
    /// error and aborts the job (the others may be blocked waiting for it); exit code non-zero.
    public static func runMismatch(_ c: Collectives, _ comm: MPICommunicator, length: Int) -> Never {
        var buffer = [Float](repeating: 1, count: length + (comm.rank == 0 ? 1 : 0))
        do {
            try c.allReduce(&buffer)
            try c.barrier()
        } catch {
            Log.logger.error("collective-check: \(error)")
            comm.abort(errorCode: 3)
        }
        if comm.rank == 0 { print("collective-check: FAILED: mismatched lengths were not detected") }
        try? MPIEnvironment.finalize()
        exit(1)
    }
}
