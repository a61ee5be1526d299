// BenchAllReduce: `ringtrain bench allreduce`, our ring against MPI_Allreduce, same run, same buffers.
// Launches itself under mpirun; every rank times both, rank 0 prints medians (slowest rank's median).
import ArgumentParser
import Collective
import Coordinator
import Foundation
import Worker

extension AllReduceChoice: ExpressibleByArgument {}

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

    @Option(parsing: .unconditional, help: "Number of MPI ranks.")
    var ranks: Int = 2

    @Option(parsing: .unconditional, help: "Comma-separated message sizes in bytes; K/M suffixes allowed (default 4K..64M by 4×).")
    var sizes: String = "4K,16K,64K,256K,1M,4M,16M,64M"

    @Option(parsing: .unconditional, help: "Repetitions per size (default: from 200 at 4 KB down to 10 at 64 MB).")
    var reps: Int?

    @OptionGroup var ring: RingTuningOptions

    @Option(help: "The all-reduce timed: ring, two_level (within hosts, then across them; where the ranks' layout allows) or auto (as cluster.allreduce, decided for the largest size).")
    var allreduce: AllReduceChoice = .ring

    @Flag(help: "Send fp16 on the wire (fp32 accumulation).")
    var fp16 = false

    @Flag(inversion: .prefixedNo, help: "When every rank runs on this host, time ringtrain's all-reduce on a buffer in memory the ranks share, as training keeps its gradients (cluster.shared_memory); --no-shared-memory: on each rank's own buffer, through messages.")
    var sharedMemory = true

    @Flag(help: "Print one JSON object per size instead of a table.")
    var json = false

    @Option(help: "Comma-separated hosts (host or host:slots) to run on instead of this machine.")
    var hosts: String?

    @OptionGroup var hostOptions: MPIHostOptions

    @Flag(help: .hidden)
    var worker = false

    func validate() throws {
        // An all-reduce over one rank moves no data: there is nothing to time.
        try BenchCounts.check([("--ranks", ranks, 2...BenchCounts.ranks), ("--reps", reps, 1...BenchCounts.reps)])
        let largest = try parsedSizes().max() ?? 0
        // Each rank holds the buffer and its scratch (about 3 copies); on this machine all of them.
        // (The ranks mpirun starts skip this: they were checked here, and may be spread over hosts.)
        let memory = ProcessInfo.processInfo.physicalMemory, needed = UInt64(largest) * 3 * UInt64(ranks)
        if hosts == nil, !worker, needed > memory {
            throw ValidationError("--sizes: \(largest >> 20) MiB on \(ranks) ranks needs about \(needed >> 20) MiB of memory; this machine has \(memory >> 20) MiB")
        }
        if let hosts {
            do { _ = try BenchmarkCluster.hosts(hosts) } catch { throw ValidationError("--hosts: \(error)") }
        }
    }

    func parsedSizes() throws -> [Int] {
        do { return try ByteSize.parseList(sizes, multiple: 4) } catch let error as ByteSizeError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        try exitOnUserError {
            if worker {
                try runWorker()
                return
            }
            var args = ["bench", "allreduce", "--worker", "--ranks", "\(ranks)", "--sizes", sizes]
            if let reps { args += ["--reps", "\(reps)"] }
            args += ring.arguments + ["--allreduce", allreduce.rawValue]
            if fp16 { args.append("--fp16") }
            if !sharedMemory { args.append("--no-shared-memory") }
            if json { args.append("--json") }
            let cluster = try BenchmarkCluster.make(hosts: hosts, network: hostOptions.network, mpirunArgs: hostOptions.mpirunArgs,
                                                    binary: MPILauncher.selfExecutable)
            let status = try SelfLaunch.run(ranks: ranks, arguments: args, cluster: cluster)
            if status != 0 { throw ExitCode(status) }
        }
    }

    /// One rank under mpirun: every size timed by `AllReduceBenchmark`, rank 0 printing the rows.
    private func runWorker() throws {
        let comm = try MPICommunicator.world()
        defer { try? MPIEnvironment.finalize() }
        let options = ring.applied(to: CollectiveOptions())
        let collectives = Collectives(comm, options: options)
        let layout = try collectives.chooseAllReduce(allreduce)
        // Mapped before auto decides (for the largest size), as a trainer does: the decision then
        // knows what the steps within a host cost through it.
        collectives.allowsHostMemory = sharedMemory
        let largest = (try parsedSizes().max() ?? 0) / 4
        let shared = try collectives.mapHostMemory(elements: max(1, largest), buffers: 1)
        collectives.settleAllReduce(transfers: [AllReduceTransfer(elements: largest, halfWire: fp16, gathersParameters: false)])
        let algorithm = collectives.allReduceAlgorithm
        let machine = Machine.current
        if comm.rank == 0 && !json {
            print(machine.line)
            if let note = AllReduceNote.text(choice: allreduce, layout: layout, chosen: algorithm) { print(note) }
            if let decision = collectives.automaticDecision { print(AllReduceNote.text(decision)) }
            if let note = collectives.hostMemoryNote { print("note: \(note)") }
            let name = algorithm == .twoLevel ? "two-level" : collectives.ranksSharingMemory == comm.size ? "shared-memory" : "ring"
            let through = collectives.ranksSharingMemory.map { $0 == comm.size ? ", through shared memory (messages up to the one-round exchange's size)"
                                                                               : ", within hosts through shared memory" } ?? ""
            print("\(name) all-reduce vs MPI_Allreduce\(through), \(comm.size) ranks, chunk \(options.chunkElements) floats "
                  + "(segments up to \(options.wholeSegmentElements) floats whole), "
                  + "depth \(options.pipelineDepth), one-round exchange up to \(options.smallMessageBytes) B"
                  + "\(fp16 ? ", fp16 wire" : ""); medians, slowest rank")
            print(pad("bytes", 10) + pad("ring_us", 12) + pad("mpi_us", 12) + pad("ring_algbw", 12)
                  + pad("ring_busbw", 12) + pad("mpi_algbw", 12) + pad("mpi_busbw", 12) + pad("ratio", 8))
        }
        for bytes in try parsedSizes() {
            let r = try AllReduceBenchmark.measure(collectives, comm, bytes: bytes,
                                                   repetitions: reps ?? AllReduceBenchmark.defaultRepetitions(bytes: bytes),
                                                   halfPrecision: fp16, shared: shared)
            guard comm.rank == 0 else { continue }
            if json {
                let inShared = shared.map { collectives.runsInSharedMemory(UnsafeMutableBufferPointer(start: $0.buffer(0, rank: $0.rank), count: bytes / 4),
                                                                          allReduce: true) } ?? false
                print(jsonLine(r.json.merging(["machine": machine.json, "allreduce": inShared ? "shared_memory" : algorithm.rawValue]) { a, _ in a }))
            } else {
                print(pad("\(bytes)", 10) + pad(fmt(r.ringMicroseconds, 1), 12) + pad(fmt(r.mpiMicroseconds, 1), 12)
                      + pad(fmt(r.ringAlgorithmBandwidth, 3), 12) + pad(fmt(r.ringAlgorithmBandwidth * r.busFactor, 3), 12)
                      + pad(fmt(r.mpiAlgorithmBandwidth, 3), 12) + pad(fmt(r.mpiAlgorithmBandwidth * r.busFactor, 3), 12)
                      + pad(fmt(r.ratio, 2), 8))
            }
            fflush(nil)
        }
        if comm.rank == 0 && !json { print("(algbw, busbw in GB/s; ring columns: ringtrain's all-reduce (two-level or through shared memory when chosen); ratio = ring busbw / MPI busbw)") }
    }

    private func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : String(repeating: " ", count: width - s.count) + s
    }
}
