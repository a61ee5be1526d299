// CollectiveCheck: hidden `ringtrain collective-check`, run under mpirun by the integration tests.
// Checks the ring against MPI_Allreduce / MPI_Bcast on seeded data; rank 0 reports, exit 1 on any mismatch.
import ArgumentParser
import Collective
import Foundation

struct CollectiveCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collective-check",
        abstract: "Check the ring collectives against MPI's own (run under mpirun).",
        shouldDisplay: false)

    @Option(help: "Comma-separated buffer lengths in elements.")
    var lengths: String = "0,1,2,3,5,1000,65537,1000003"

    @Option(help: "Seed of the random data.")
    var seed: UInt64 = 7

    @OptionGroup var ring: RingTuningOptions

    @Flag(help: "Make rank 0's buffer one element longer and expect a length-mismatch error.")
    var mismatch = false

    func run() throws {
        let comm = try MPICommunicator.world()
        let collectives = Collectives(comm, options: ring.applied(to: CollectiveOptions()))
        let list = lengths.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if mismatch { try runMismatch(collectives, comm, length: list.last ?? 1000) }

        var failures: [String] = []
        for length in list {
            failures += try checkAllReduce(collectives, comm, length: length)
            failures += try checkBroadcast(collectives, comm, length: length)
        }
        failures += try checkAllGather(collectives, comm)
        failures += try checkBytes(collectives, comm)
        failures += try checkQuietBarrier(collectives, comm)

        for failure in failures { FileHandle.standardError.write(Data("rank \(comm.rank): \(failure)\n".utf8)) }
        var worst = [Double(failures.count)]
        try comm.mpiAllReduceMax(&worst)
        try MPIEnvironment.finalize()
        if comm.rank == 0 {
            print(worst[0] == 0
                  ? "collective-check: ok (\(comm.size) ranks, lengths \(list))"
                  : "collective-check: FAILED (up to \(Int(worst[0])) mismatches on a rank)")
        }
        if worst[0] != 0 { throw ExitCode(1) }
    }

    /// The quiet barrier holds every rank until rank 0 arrives: rank 0 dawdles with receives
    /// posted for the messages the others send right after the barrier, and none may be there.
    private func checkQuietBarrier(_ collectives: Collectives, _ comm: MPICommunicator) throws -> [String] {
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

    /// Deterministic value in [-1, 1) from (seed, rank, index).
    private func random(_ rank: Int, _ index: Int) -> Float {
        var z = seed &+ UInt64(rank) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 23) - 1
    }

    /// Integer-valued data must match MPI_Allreduce exactly; random data within N·2⁻²³·Σ|x|
    /// (summation order differs); average within the same bound scaled by 1/N.
    private func checkAllReduce(_ c: Collectives, _ comm: MPICommunicator, length: Int) throws -> [String] {
        var failures: [String] = []
        let n = comm.size
        var ints = (0..<length).map { Float(($0 &* 7 &+ comm.rank &* 13) % 101 - 50) }
        var reference = ints
        try c.allReduce(&ints, op: .sum)
        try reference.withUnsafeMutableBufferPointer { try comm.mpiAllReduce($0, op: .sum) }
        if ints != reference { failures.append("allReduce sum of integers, length \(length): differs from MPI_Allreduce") }

        for op in ReduceOp.allCases {
            var ours = (0..<length).map { random(comm.rank, $0) }
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

    private func checkBroadcast(_ c: Collectives, _ comm: MPICommunicator, length: Int) throws -> [String] {
        let root = length % comm.size
        var ours = (0..<length).map { random(comm.rank + 100, $0) }
        var theirs = ours
        try ours.withUnsafeMutableBufferPointer { try c.broadcast($0, root: root) }
        try theirs.withUnsafeMutableBufferPointer { try comm.mpiBroadcast($0, root: root) }
        return ours == theirs ? [] : ["broadcast from root \(root), length \(length): differs from MPI_Bcast"]
    }

    private func checkAllGather(_ c: Collectives, _ comm: MPICommunicator) throws -> [String] {
        let mine = [Double(comm.rank), Double(comm.rank) * 0.5, Double(seed)]
        let gathered = try c.allGather(mine)
        let expected = (0..<comm.size).map { [Double($0), Double($0) * 0.5, Double(seed)] }
        return gathered == expected ? [] : ["allGather: got \(gathered), expected \(expected)"]
    }

    private func checkBytes(_ c: Collectives, _ comm: MPICommunicator) throws -> [String] {
        let text = Array("seed: \(seed)\nranks: \(comm.size)\n".utf8)
        let received = try c.broadcast(comm.rank == 0 ? text : [], root: 0)
        return received == text ? [] : ["broadcast of bytes: got \(received.count) bytes, expected \(text.count)"]
    }

    /// Rank 0 passes one more element than the others. A rank that detects the mismatch prints the
    /// error and aborts the job (the others may be blocked waiting for it); exit code non-zero.
    private func runMismatch(_ c: Collectives, _ comm: MPICommunicator, length: Int) throws -> Never {
        var buffer = [Float](repeating: 1, count: length + (comm.rank == 0 ? 1 : 0))
        do {
            try c.allReduce(&buffer)
            try c.barrier()
        } catch {
            FileHandle.standardError.write(Data("collective-check: \(error)\n".utf8))
            comm.abort(errorCode: 3)
        }
        if comm.rank == 0 { print("collective-check: FAILED: mismatched lengths were not detected") }
        try? MPIEnvironment.finalize()
        Foundation.exit(1)
    }
}
