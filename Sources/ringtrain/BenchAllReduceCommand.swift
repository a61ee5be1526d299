// BenchAllReduce: `ringtrain bench allreduce`, our ring against MPI_Allreduce, same run, same buffers.
// Launches itself under mpirun; every rank times both, rank 0 prints medians (slowest rank's median).
import ArgumentParser
import Collective
import Coordinator
import Foundation
import Worker

struct BenchAllReduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Time the ring all-reduce and MPI_Allreduce side by side (median of repetitions).",
        discussion: """
        busbw = algbw × 2(N-1)/N (the nccl-tests convention); ratio = ring busbw / MPI busbw.
        Runs `mpirun --oversubscribe -np N --bind-to none --mca btl self,vader` on this binary, adding
        `--mca mpi_yield_when_idle 1` when N exceeds the core count. With --hosts, ranks go round
        the hosts (one slot each unless host:slots), after the hosts pass the launcher's pre-flight
        check; --network and --mpirun-args act as cluster.network and cluster.mpirun_args.
        Example (namespace test cluster): --hosts 10.77.0.11,10.77.0.12 --network 10.77.0.0/24
        --mpirun-args "--mca plm_rsh_agent '$PWD/scripts/testcluster rsh' --mca btl tcp,self"
        """)

    @Option(help: "Number of MPI ranks.")
    var ranks: Int = 2

    @Option(help: "Comma-separated message sizes in bytes; K/M suffixes allowed (default 4K..64M by 4×).")
    var sizes: String = "4K,16K,64K,256K,1M,4M,16M,64M"

    @Option(help: "Repetitions per size (default: from 200 at 4 KB down to 10 at 64 MB).")
    var reps: Int?

    @OptionGroup var ring: RingTuningOptions

    @Flag(help: "Send fp16 on the wire (fp32 accumulation).")
    var fp16 = false

    @Flag(help: "Print one JSON object per size instead of a table.")
    var json = false

    @Option(help: "Comma-separated hosts (host or host:slots) to run on instead of this machine.")
    var hosts: String?

    @Option(help: "Interface or CIDR for MPI's TCP traffic (as cluster.network).")
    var network: String?

    @Option(help: "Extra mpirun arguments, split on spaces; single quotes group words (as cluster.mpirun_args).")
    var mpirunArgs: String?

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
            args += ring.arguments
            if fp16 { args.append("--fp16") }
            if json { args.append("--json") }
            let status = try launchSelf(ranks: ranks, arguments: args, cluster: try cluster())
            if status != 0 { throw ExitCode(status) }
            return
        }
        try runWorker()
    }

    private func runWorker() throws {
        let comm = try MPICommunicator.world()
        defer { try? MPIEnvironment.finalize() }
        let options = ring.applied(to: CollectiveOptions())
        let collectives = Collectives(comm, options: options)
        let n = comm.size
        let machine = Machine.current
        if comm.rank == 0 && !json {
            print(machine.line)
            print("ring all-reduce vs MPI_Allreduce, \(n) ranks, chunk \(options.chunkElements) floats "
                  + "(segments up to \(options.wholeSegmentElements) floats whole), "
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
                try collectives.allReduce(buffer, op: .sum, halfPrecision: fp16)
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
                print(jsonLine(["ranks": n, "bytes": bytes, "ring_us": rounded(ringUs, 2), "mpi_us": rounded(mpiUs, 2),
                                "ring_busbw_gbs": rounded(ringAlg * busFactor, 4), "mpi_busbw_gbs": rounded(mpiAlg * busFactor, 4),
                                "ratio": rounded(ratio, 3), "repetitions": repetitions, "machine": machine.json]))
            } else {
                print(pad("\(bytes)", 10) + pad(fmt(ringUs, 1), 12) + pad(fmt(mpiUs, 1), 12)
                      + pad(fmt(ringAlg, 3), 12) + pad(fmt(ringAlg * busFactor, 3), 12)
                      + pad(fmt(mpiAlg, 3), 12) + pad(fmt(mpiAlg * busFactor, 3), 12) + pad(fmt(ratio, 2), 8))
            }
            fflush(nil)
        }
        if comm.rank == 0 && !json { print("(algbw, busbw in GB/s; ratio = ring busbw / MPI busbw)") }
    }

    /// The cluster section the flags describe (this machine only without --hosts).
    func cluster() throws -> ClusterSpec {
        var cluster = ClusterSpec()
        cluster.oversubscribe = true
        cluster.network = network
        if let mpirunArgs { cluster.mpirunArgs = Self.words(mpirunArgs) }
        if let hosts {
            cluster.hosts = try hosts.split(separator: ",").map { item in
                let parts = item.split(separator: ":")
                guard parts.count <= 2, let host = parts.first, let slots = Int(parts.count == 2 ? parts[1] : "1"), slots > 0 else {
                    throw ValidationError("bad host '\(item)': expected host or host:slots")
                }
                return HostSlots(host: String(host), slots: slots)
            }
            try HostPreflight.check(cluster, binary: MPILauncher.selfExecutable)
        }
        return cluster
    }

    /// Splits on spaces, keeping 'single-quoted groups' together (no other shell syntax).
    static func words(_ text: String) -> [String] {
        var words: [String] = [], current = "", quoted = false, started = false
        for character in text {
            if character == "'" { quoted.toggle(); started = true }
            else if character == " " && !quoted { if started { words.append(current) }; current = ""; started = false }
            else { current.append(character); started = true }
        }
        if started { words.append(current) }
        return words
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
    private func rounded(_ x: Double, _ digits: Int) -> Double { Double(fmt(x, digits)) ?? x }
    private func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : String(repeating: " ", count: width - s.count) + s
    }
}
