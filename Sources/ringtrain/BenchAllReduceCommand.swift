// BenchAllReduce: `ringtrain bench allreduce`, our ring against MPI_Allreduce, same run, same buffers.
// Launches itself under mpirun; every rank times both, rank 0 prints medians (slowest rank's median).
import ArgumentParser
import Collective
import Foundation

struct BenchAllReduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Time the ring all-reduce and MPI_Allreduce side by side (median of repetitions).",
        discussion: """
        busbw = algbw × 2(N-1)/N (the nccl-tests convention); ratio = ring busbw / MPI busbw.
        Runs `mpirun --oversubscribe -np N --bind-to none --mca btl self,vader` on this binary, adding
        `--mca mpi_yield_when_idle 1` when N exceeds the core count.
        """)

    @Option(help: "Number of MPI ranks.")
    var ranks: Int = 2

    @Option(help: "Comma-separated message sizes in bytes; K/M suffixes allowed (default 4K..64M by 4×).")
    var sizes: String = "4K,16K,64K,256K,1M,4M,16M,64M"

    @Option(help: "Repetitions per size (default: from 200 at 4 KB down to 10 at 64 MB).")
    var reps: Int?

    @Option(help: "Ring chunk size in elements (default: the library default).")
    var chunkElements: Int?

    @Option(help: "Ring receives in flight (default: the library default).")
    var depth: Int?

    @Option(help: "Largest all-reduce in bytes that uses the one-round exchange instead of the ring (default: the library default).")
    var smallBytes: Int?

    @Flag(help: "Send fp16 on the wire (fp32 accumulation).")
    var fp16 = false

    @Flag(help: "Print one JSON object per size instead of a table.")
    var json = false

    @Flag(help: .hidden)
    var worker = false

    func validate() throws {
        guard ranks >= 1 else { throw ValidationError("--ranks must be at least 1") }
        _ = try parsedSizes()
    }

    func parsedSizes() throws -> [Int] {
        try sizes.split(separator: ",").map { token in
            let text = token.trimmingCharacters(in: .whitespaces).uppercased()
            var multiplier = 1
            var digits = Substring(text)
            if text.hasSuffix("K") { multiplier = 1 << 10; digits = digits.dropLast() }
            if text.hasSuffix("M") { multiplier = 1 << 20; digits = digits.dropLast() }
            guard let value = Int(digits), value > 0, (value * multiplier) % 4 == 0 else {
                throw ValidationError("bad size '\(token)': expected a positive multiple of 4 bytes, e.g. 4K or 64M")
            }
            return value * multiplier
        }
    }

    func run() throws {
        if !worker {
            var args = ["bench", "allreduce", "--worker", "--ranks", "\(ranks)", "--sizes", sizes]
            if let reps { args += ["--reps", "\(reps)"] }
            if let chunkElements { args += ["--chunk-elements", "\(chunkElements)"] }
            if let depth { args += ["--depth", "\(depth)"] }
            if let smallBytes { args += ["--small-bytes", "\(smallBytes)"] }
            if fp16 { args.append("--fp16") }
            if json { args.append("--json") }
            let status = try launchSelf(ranks: ranks, arguments: args)
            if status != 0 { throw ExitCode(status) }
            return
        }
        try runWorker()
    }

    private func runWorker() throws {
        let comm = try MPICommunicator.world()
        defer { try? MPIEnvironment.finalize() }
        var options = CollectiveOptions(halfPrecisionWire: fp16)
        if let chunkElements { options.chunkElements = chunkElements }
        if let depth { options.pipelineDepth = depth }
        if let smallBytes { options.smallMessageBytes = smallBytes }
        let collectives = Collectives(comm, options: options)
        let n = comm.size
        if comm.rank == 0 && !json {
            print("ring all-reduce vs MPI_Allreduce, \(n) ranks, chunk \(options.chunkElements) floats, "
                  + "depth \(options.pipelineDepth), one-round exchange up to \(options.smallMessageBytes) B"
                  + "\(fp16 ? ", fp16 wire" : ""); medians, slowest rank")
            print(pad("bytes", 10) + pad("ring_us", 12) + pad("mpi_us", 12) + pad("ring_algbw", 12)
                  + pad("ring_busbw", 12) + pad("mpi_algbw", 12) + pad("mpi_busbw", 12) + pad("ratio", 8))
        }
        for bytes in try parsedSizes() {
            let count = bytes / 4
            let repetitions = reps ?? min(200, max(10, (256 << 20) / bytes))
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 0)
            var ringTimes: [Double] = [], mpiTimes: [Double] = []
            for rep in -2..<repetitions {  // two warm-up rounds
                try comm.barrier()
                var start = DispatchTime.now().uptimeNanoseconds
                try collectives.allReduce(buffer, op: .sum)
                let ring = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3
                try comm.barrier()
                start = DispatchTime.now().uptimeNanoseconds
                try comm.mpiAllReduce(buffer, op: .sum)
                let mpi = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3
                if rep >= 0 { ringTimes.append(ring); mpiTimes.append(mpi) }
            }
            var medians = [median(ringTimes), median(mpiTimes)]
            try comm.mpiAllReduceMax(&medians)
            guard comm.rank == 0 else { continue }
            let (ringUs, mpiUs) = (medians[0], medians[1])
            let busFactor = n > 1 ? 2 * Double(n - 1) / Double(n) : 1
            let ringAlg = Double(bytes) / (ringUs * 1e3), mpiAlg = Double(bytes) / (mpiUs * 1e3)
            let ratio = mpiUs / ringUs
            if json {
                print("{\"ranks\":\(n),\"bytes\":\(bytes),\"ring_us\":\(fmt(ringUs, 2)),\"mpi_us\":\(fmt(mpiUs, 2)),"
                      + "\"ring_busbw_gbs\":\(fmt(ringAlg * busFactor, 4)),\"mpi_busbw_gbs\":\(fmt(mpiAlg * busFactor, 4)),"
                      + "\"ratio\":\(fmt(ratio, 3)),\"repetitions\":\(repetitions)}")
            } else {
                print(pad("\(bytes)", 10) + pad(fmt(ringUs, 1), 12) + pad(fmt(mpiUs, 1), 12)
                      + pad(fmt(ringAlg, 3), 12) + pad(fmt(ringAlg * busFactor, 3), 12)
                      + pad(fmt(mpiAlg, 3), 12) + pad(fmt(mpiAlg * busFactor, 3), 12) + pad(fmt(ratio, 2), 8))
            }
            fflush(nil)
        }
        if comm.rank == 0 && !json { print("(algbw, busbw in GB/s; ratio = ring busbw / MPI busbw)") }
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
    private func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : String(repeating: " ", count: width - s.count) + s
    }
}
