// AllReduceBenchmark: times the ring all-reduce against MPI_Allreduce on the same buffer in the
// same run, one message size at a time; every rank times both, the slowest rank's median counts.
import Collective
import Foundation

/// One message size of `bench allreduce`: medians over the repetitions, of the slowest rank.
public struct AllReduceBenchmarkResult: Sendable {
    public var ranks: Int
    public var bytes: Int
    public var repetitions: Int
    /// Median time of one ring all-reduce, microseconds.
    public var ringMicroseconds: Double
    /// Median time of one MPI_Allreduce, microseconds.
    public var mpiMicroseconds: Double

    /// busbw = algbw × 2(N-1)/N (the nccl-tests convention); 1 for one rank.
    public var busFactor: Double { ranks > 1 ? 2 * Double(ranks - 1) / Double(ranks) : 1 }
    /// Bytes per nanosecond (GB/s) of the ring.
    public var ringAlgorithmBandwidth: Double { Double(bytes) / (ringMicroseconds * 1e3) }
    /// Bytes per nanosecond (GB/s) of MPI_Allreduce.
    public var mpiAlgorithmBandwidth: Double { Double(bytes) / (mpiMicroseconds * 1e3) }
    /// Ring busbw / MPI busbw.
    public var ratio: Double { mpiMicroseconds / ringMicroseconds }

    /// The JSON row (`machine` added by the caller): ranks, bytes, ring_us, mpi_us,
    /// ring_busbw_gbs, mpi_busbw_gbs, ratio, repetitions.
    public var json: [String: Any] {
        ["ranks": ranks, "bytes": bytes, "ring_us": Self.rounded(ringMicroseconds, 2), "mpi_us": Self.rounded(mpiMicroseconds, 2),
         "ring_busbw_gbs": Self.rounded(ringAlgorithmBandwidth * busFactor, 4),
         "mpi_busbw_gbs": Self.rounded(mpiAlgorithmBandwidth * busFactor, 4),
         "ratio": Self.rounded(ratio, 3), "repetitions": repetitions]
    }

    /// `x` with `digits` decimals, as the table prints it.
    static func rounded(_ x: Double, _ digits: Int) -> Double { Double(String(format: "%.\(digits)f", x)) ?? x }
}

/// The timing loop of `bench allreduce`, run on every rank under mpirun.
public enum AllReduceBenchmark {
    /// Repetitions for a size when none are given: from 200 at 4 KB down to 10 at 64 MB and above.
    public static func defaultRepetitions(bytes: Int) -> Int { min(200, max(10, (256 << 20) / bytes)) }

    /// Times one size (bytes, a multiple of 4): two warm-up rounds, then `repetitions` rounds of
    /// a barrier and a ring all-reduce, a barrier and an MPI_Allreduce, on one zeroed buffer.
    /// Every rank calls this and gets the same result (the slowest rank's medians).
    /// `halfPrecision` sends the ring's traffic as fp16 (default false). `shared`: memory the
    /// ranks share (`Collectives.mapHostMemory`, one buffer of at least `bytes`), where the buffer
    /// then lies, so ringtrain's all-reduce runs through it; nil: a buffer of this rank's own.
    public static func measure(_ collectives: Collectives, _ communicator: MPICommunicator,
                               bytes: Int, repetitions: Int, halfPrecision: Bool = false,
                               shared: HostSharedMemory? = nil) throws -> AllReduceBenchmarkResult {
        let own = shared == nil ? UnsafeMutableBufferPointer<Float>.allocate(capacity: bytes / 4) : nil
        defer { own?.deallocate() }
        let buffer = own ?? UnsafeMutableBufferPointer(start: shared!.buffer(0, rank: shared!.rank), count: bytes / 4)
        buffer.initialize(repeating: 0)
        var ringTimes: [Double] = [], mpiTimes: [Double] = []
        for round in -2..<repetitions {
            try communicator.barrier()
            let ring = try Stopwatch.seconds { try collectives.allReduce(buffer, op: .sum, halfPrecision: halfPrecision) } * 1e6
            try communicator.barrier()
            let mpi = try Stopwatch.seconds { try communicator.mpiAllReduce(buffer, op: .sum) } * 1e6
            if round >= 0 { ringTimes.append(ring); mpiTimes.append(mpi) }
        }
        var medians = [median(ringTimes), median(mpiTimes)]
        try communicator.mpiAllReduceMax(&medians)
        return AllReduceBenchmarkResult(ranks: communicator.size, bytes: bytes, repetitions: repetitions,
                                        ringMicroseconds: medians[0], mpiMicroseconds: medians[1])
    }
}
