// DataParallelTests: N ranks under a real mpirun train one model as if they were one process —
// same losses and parameters as 1 rank, bit-identical replicas, and a failing rank ends the job.
import Foundation
import Testing

@Suite(.serialized, .enabled(if: TrainingFixtures.haveFashion, "Fashion-MNIST not installed (scripts/setup installs it)"))
struct DataParallelTests {
    static func mpirun(_ ranks: Int, _ arguments: [String], timeout: Double = 180) throws -> ProcessResult {
        let mpirun = try #require(BuiltBinary.onPath("mpirun"), "mpirun not on PATH (scripts/setup installs it)")
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        var args = ["--oversubscribe", "-np", "\(ranks)", "--bind-to", "none"]
        if ranks > ProcessInfo.processInfo.activeProcessorCount { args += ["--mca", "mpi_yield_when_idle", "1"] }
        return try ProcessRunner.run(mpirun, args + [binary] + arguments, environment: TrainingFixtures.environment,
                                     timeout: timeout)
    }

    static func floats(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// 20 steps of the 1-rank job (run as a singleton) and the same job on `ranks` ranks:
    /// losses and final parameters agree within 1e-5 relative; every step's replicas match
    /// bit for bit (the worker compares checksums from all ranks and fails otherwise).
    /// With "overlap", the gradient average runs bucket by bucket on a background thread during
    /// backward (one bucket per layer here), through real MPI at MPI_THREAD_SERIALIZED.
    /// With "sharded" (the default), each rank updates its own shard and the parameters are
    /// all-gathered; "plain" is one all-reduce after backward (`job.sharded_update: false`).
    @Test(arguments: [(2, "plain"), (3, "plain"), (2, "overlap"), (3, "overlap"), (2, "sharded"), (3, "sharded")])
    func ranksMatchOneProcess(ranks: Int, mode: String) throws {
        try Self.compareWithOneProcess(ranks: ranks, options: (mode == "overlap" ? ["--set", "job.overlap=true", "--set", "job.bucket_kb=1"] : [])
                                       + (mode == "plain" ? ["--set", "job.sharded_update=false"] : []))
    }

    /// A declared residual CNN (residual conv block, average pooling, a layer-normed dense
    /// residual block) follows the 1-rank trajectory too. No dropout: its masks are keyed by rank,
    /// by design. A gentler learning rate keeps float rounding from being amplified past 1e-5.
    @Test(arguments: [2, 3])
    func declaredResidualCNNMatchesOneProcess(ranks: Int) throws {
        try Self.compareWithOneProcess(ranks: ranks, options: [], shared: ["--set", "job.optimizer.lr=0.02"], model: """
            {layers: [{type: conv2d, channels: 4, kernel: 3, padding: 1}, {type: activation, function: relu},
                      {type: residual, layers: [{type: conv2d, channels: 4, kernel: 3, padding: 1}, {type: activation, function: gelu_tanh}]},
                      {type: avg_pool, window: 4}, {type: flatten},
                      {type: residual, layers: [{type: layer_norm}, {type: dense, units: 196}]}, {type: dense, units: 10}]}
            """)
    }

    /// A residual CNN with synchronised batch norm (conv-bn-relu stem, a conv-bn residual block,
    /// a batch norm over flat features) follows the 1-rank trajectory with every way of crossing
    /// the ranks: each rank normalises with the statistics of the global batch, summed across
    /// ranks in forward and backward (with overlap, in order with the buckets in flight). The
    /// first loss agrees to float rounding; batch norm then amplifies rounding step by step, so the
    /// trajectory is compared within 2e-3 (per-rank statistics miss by far more: docs/benchmarks.md).
    @Test(arguments: [(2, "sharded"), (3, "plain"), (2, "overlap"), (3, "overlap")])
    func batchNormResidualCNNMatchesOneProcess(ranks: Int, mode: String) throws {
        let options = mode == "overlap" ? ["--set", "job.overlap=true", "--set", "job.bucket_kb=1"]
            : mode == "plain" ? ["--set", "job.sharded_update=false"] : []
        try Self.compareWithOneProcess(ranks: ranks, options: options, shared: ["--set", "job.optimizer.lr=0.02"], model: Self.batchNormCNN,
                                       tolerance: 2e-3, firstLossTolerance: 1e-6)
    }

    static let batchNormCNN = """
        {layers: [{type: conv2d, channels: 4, kernel: 3, padding: 1}, {type: batch_norm}, {type: activation, function: relu},
                  {type: residual, layers: [{type: conv2d, channels: 4, kernel: 3, padding: 1}, {type: batch_norm, momentum: 0.2},
                                            {type: activation, function: relu}]},
                  {type: avg_pool, window: 4}, {type: flatten}, {type: batch_norm}, {type: dense, units: 10}]}
        """

    /// A small transformer (token embedding, positions, two pre-LayerNorm blocks) classifying
    /// sequences of token ids from a CSV file follows the 1-rank trajectory too (SGD: Adam turns
    /// float rounding in near-zero gradients into whole steps, beyond a 1e-5 comparison).
    @Test(arguments: [2, 3])
    func transformerMatchesOneProcess(ranks: Int) throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        var state: UInt64 = 2026
        func nextID() -> Int {   // a fixed-seed LCG: the same tokens every run
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33) % 5
        }
        var rows = ["t0,t1,t2,t3,t4,t5,t6,t7,label"]
        for _ in 0..<720 {
            let ids = (0..<8).map { _ in nextID() }
            rows.append(ids.map(String.init).joined(separator: ",") + "," + (ids.filter { $0 == 1 }.count > ids.filter { $0 == 2 }.count ? "a" : "b"))
        }
        try rows.joined(separator: "\n").write(toFile: dir + "/tokens.csv", atomically: false, encoding: .utf8)
        let config = dir + "/transformer.yaml"
        try """
            cluster: {oversubscribe: true, failure_timeout: 20}
            job:
              name: tokens
              seed: 4
              dataset: {train: tokens.csv, label: label, normalize: none, validation: 120}
              model:
                layers:
                  - {type: embedding, vocab: 5, dim: 16, name: wte}
                  - {type: position_embedding, name: wpe}
                  - {type: transformer_block, heads: 4, mlp: 32, name: blocks.0}
                  - {type: transformer_block, heads: 2, mlp: 32, name: blocks.1, causal: false}
                  - {type: layer_norm, name: lnf}
                  - {type: flatten}
                  - {type: dense, units: 2, name: head}
              optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
              batch_size: 48
              epochs: 2
            """.write(toFile: config, atomically: false, encoding: .utf8)
        try Self.compareWithOneProcess(ranks: ranks, options: [], config: config, dir: dir)
    }

    /// `tolerance` (default 1e-5) bounds every step's relative loss difference and the relative
    /// parameter difference; `firstLossTolerance` (default the same) the first step's loss.
    static func compareWithOneProcess(ranks: Int, options: [String], shared: [String] = [],
                                      model: String = "{type: mlp, hidden: [32]}", config givenConfig: String? = nil,
                                      dir givenDirectory: String? = nil, tolerance: Double = 1e-5,
                                      firstLossTolerance: Double? = nil) throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let dir = try givenDirectory ?? TrainingFixtures.temporaryDirectory()
        let config = try givenConfig ?? TrainingFixtures.smallConfig(in: dir, batch: 48, model: model)
        let single = try ProcessRunner.run(binary, ["worker", config, "--trace-steps", "20", "--dump-parameters", dir + "/one.bin"] + shared,
                                           environment: TrainingFixtures.environment, timeout: 120)
        #expect(single.status == 0, "\(single.output)")
        let many = try Self.mpirun(ranks, ["worker", config, "--trace-steps", "20", "--dump-parameters", dir + "/many.bin"] + shared + options)
        #expect(!many.timedOut)
        #expect(many.status == 0, "\(many.output)")

        let a = TrainingFixtures.jsonLines(single.stdout).compactMap { $0["loss"] as? Double }
        let b = TrainingFixtures.jsonLines(many.stdout).compactMap { $0["loss"] as? Double }
        #expect(a.count == 20 && b.count == 20, "\(single.stdout)\n\(many.stdout)")
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= tolerance * abs(x), "loss \(x) vs \(y)") }
        if let first = a.first, let other = b.first {
            #expect(abs(first - other) <= (firstLossTolerance ?? tolerance) * abs(first), "first loss \(first) vs \(other)")
        }

        let p = try Self.floats(dir + "/one.bin"), q = try Self.floats(dir + "/many.bin")
        #expect(p.count == q.count && !p.isEmpty)
        let difference = zip(p, q).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        let norm = p.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(difference <= tolerance * norm, "‖Δθ‖/‖θ‖ = \(difference / norm)")
        // The parameters moved: the comparison is not between two untouched initialisations.
        #expect(Set(TrainingFixtures.jsonLines(many.stdout).compactMap { $0["checksum"] as? String }).count == 20)
    }

    /// Ranks of one host average through memory they share (`cluster.shared_memory`, the
    /// default) with the same bits as through messages: every step's loss and the final
    /// parameters are equal, for each way of averaging and fp16 on the wire. Rank 0 says which
    /// ran, and no block is left in /dev/shm.
    @Test(arguments: [(2, "sharded"), (3, "sharded"), (2, "plain"), (3, "plain"), (2, "overlap"), (2, "fp16")])
    func sharedMemoryGivesTheBitsOfMessages(ranks: Int, mode: String) throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, batch: 48)
        let options = switch mode {
        case "plain": ["--set", "job.sharded_update=false"]
        case "overlap": ["--set", "job.overlap=true", "--set", "job.bucket_kb=1"]
        case "fp16": ["--set", "job.gradient_compression=fp16"]
        default: [String]()
        }
        func blocks() -> Set<String> {   // a unit test's own files end in "-test"
            Set(((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []).filter { $0.hasPrefix("ringtrain-") && !$0.hasSuffix("-test") })
        }
        let before = blocks()
        var runs: [(losses: [Double], parameters: Data)] = []
        for shared in [true, false] {
            let dump = dir + "/\(shared).bin"
            let result = try Self.mpirun(ranks, ["worker", config, "--trace-steps", "20", "--dump-parameters", dump,
                                                 "--set", "cluster.shared_memory=\(shared)"] + options)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("gradients and parameters in memory the \(ranks) ranks on this host share") == shared, "\(result.output)")
            runs.append((TrainingFixtures.jsonLines(result.stdout).compactMap { $0["loss"] as? Double },
                         try Data(contentsOf: URL(fileURLWithPath: dump))))
        }
        #expect(runs[0].losses.count == 20 && runs[0].losses == runs[1].losses, "\(runs[0].losses) vs \(runs[1].losses)")
        #expect(!runs[0].parameters.isEmpty && runs[0].parameters == runs[1].parameters, "the final parameters differ")
        // Other suites' jobs run meanwhile and hold a name for a moment while they map: a name left
        // behind is one still there a second later whose maker (its pid is in the name) is gone.
        var suspects = blocks().subtracting(before)
        if !suspects.isEmpty {
            Thread.sleep(forTimeInterval: 1)
            suspects = suspects.intersection(blocks()).filter { name in
                let pid = Int32(name.dropFirst("ringtrain-".count).prefix { $0 != "-" }) ?? 0
                return kill(pid, 0) != 0 && errno == ESRCH
            }
        }
        #expect(suspects.isEmpty, "left in /dev/shm: \(suspects)")
    }

    /// fp16 gradients on the wire: replicas stay bit-identical (the worker checks every step's
    /// checksums) and the losses stay close to the fp32 run's.
    @Test func fp16GradientsKeepReplicasIdentical() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, batch: 48)
        let exact = try Self.mpirun(2, ["worker", config, "--trace-steps", "20"])
        let half = try Self.mpirun(2, ["worker", config, "--trace-steps", "20", "--set", "job.gradient_compression=fp16"])
        #expect(exact.status == 0 && half.status == 0, "\(exact.output)\n\(half.output)")
        let a = TrainingFixtures.jsonLines(exact.stdout).compactMap { $0["loss"] as? Double }
        let b = TrainingFixtures.jsonLines(half.stdout).compactMap { $0["loss"] as? Double }
        #expect(a.count == 20 && b.count == 20)
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-2 * abs(x), "loss \(x) vs \(y)") }
        #expect(a != b, "fp16 on the wire changes the sums a little")
    }

    @Test func trainWithRanksLaunchesMPIRun() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir)
        let result = try ProcessRunner.run(binary, ["train", config, "--ranks", "2", "--json", "--run-dir", dir + "/run"],
                                           environment: TrainingFixtures.environment, timeout: 180)
        #expect(result.status == 0, "\(result.output)")
        let lines = TrainingFixtures.jsonLines(result.stdout)
        #expect(lines.count == 3, "rank 0 alone prints: \(result.stdout)")
        #expect(try #require(lines.last?["test_acc"] as? Double) > 0.6)
        let metrics = try String(contentsOfFile: dir + "/run/metrics.jsonl", encoding: .utf8)
        #expect(TrainingFixtures.jsonLines(metrics).count == 3)
    }

    /// Each way a rank can fail ends the whole job with a non-zero status and a message naming
    /// the failed rank (or, for a hung rank, the watchdog's message), well within the test's bound.
    /// With `overlap` the survivor's background thread is the one left waiting on the dead peer.
    @Test(arguments: [("error", "rank 1 of 2: injected failure"), ("kill", "process rank 1"), ("hang", "no reply from the other ranks")],
          [false, true])
    func failingRankEndsTheJob(failure: (mode: String, message: String), overlap: Bool) throws {
        let (mode, message) = failure
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir)
        let result = try Self.mpirun(2, ["worker", config, "--set", "cluster.failure_timeout=5", "--set", "job.overlap=\(overlap)",
                                         "--fail-rank", "1", "--fail-step", "5", "--fail-mode", mode], timeout: 90)
        #expect(!result.timedOut, "the job hung: \(result.output)")
        #expect(result.status != 0)
        #expect(result.output.contains(message), "\(result.output)")
    }

    /// A stop asked of one rank only (as if only it got SIGTERM) stops every rank after the same
    /// step, with a checkpoint: the request travels inside the gradient average. The asking rank
    /// never holds the last shard, so with the sharded update the request must go out in the
    /// reduce-scatter and come back in the parameter gather.
    @Test(arguments: [(2, false), (2, true), (3, true)])
    func stopOnOneRankStopsEveryRank(ranks: Int, sharded: Bool) throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, batch: 48)
        let result = try Self.mpirun(ranks, ["worker", config, "--set", "job.sharded_update=\(sharded)",
                                             "--set", "cluster.failure_timeout=10", "--run-dir", dir + "/run",
                                             "--fail-rank", "\(ranks - 1)", "--fail-step", "5", "--fail-mode", "signal"],
                                     timeout: 90)
        #expect(!result.timedOut, "the job hung: \(result.output)")
        #expect(result.status == 3, "interrupted runs exit with 3: \(result.output)")
        #expect(result.stdout.contains("stopped by a signal at step 6"), "\(result.output)")
        let latest = try String(contentsOfFile: dir + "/run/checkpoints/latest", encoding: .utf8)
        #expect(latest.contains("6"), "latest checkpoint: \(latest)")
    }
}
