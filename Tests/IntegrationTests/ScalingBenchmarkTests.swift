// ScalingBenchmarkTests: `ringtrain bench scaling` end to end — the config's model measured, the
// local link probed under real mpirun, the network as given — predictions that are the model's
// arithmetic on the inputs it prints; option mistakes refused before anything runs. And `bench
// allreduce --allreduce` saying which all-reduce it timed.
import Collective
import Coordinator
import Foundation
import Testing

@Suite(.serialized, .enabled(if: TrainingFixtures.haveFashion, "Fashion-MNIST not installed (scripts/setup installs it)"))
struct ScalingBenchmarkTests {
    /// The 784-32-10 MLP of the small config: its parameters.
    static let parameters = 784 * 32 + 32 + 32 * 10 + 10

    @Test("predictions at each rank count: the ring everywhere, two-level on full hosts, from the inputs printed")
    func predictsFromItsInputs() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, batch: 48)
        let result = try ProcessRunner.run(binary, ["bench", "scaling", config, "--latency-us", "30", "--gbps", "8",
                                                    "--ranks", "1,2,8,16", "--ranks-per-host", "4", "--steps", "2",
                                                    "--repeats", "1", "--json"],
                                           environment: TrainingFixtures.environment, timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        let rows = TrainingFixtures.jsonLines(result.stdout)
        #expect(rows.map { $0["ranks"] as? Int } == [1, 2, 8, 8, 16, 16], "\(result.output)")
        #expect(rows.map { $0["algorithm"] as? String } == ["ring", "ring", "ring", "two_level", "ring", "two_level"])
        for row in rows {
            let inputs = try #require(row["inputs"] as? [String: Any], "\(row)")
            let network = try #require(inputs["network"] as? [String: Any]), local = try #require(inputs["local"] as? [String: Any])
            #expect(inputs["parameters"] as? Int == Self.parameters && inputs["batch_per_rank"] as? Int == 48, "\(inputs)")
            #expect(network["latency_us"] as? Double == 30 && network["gbit_per_s"] as? Double == 8 && network["source"] as? String == "given")
            #expect((local["source"] as? String ?? "").hasPrefix("probe"), "\(local)")
            let computeMs = try #require(inputs["compute_ms_per_sample"] as? Double), updateMs = try #require(inputs["update_ms"] as? Double)
            let localLatency = try #require(local["latency_us"] as? Double), localGbps = try #require(local["gbit_per_s"] as? Double)
            #expect(computeMs > 0 && updateMs > 0 && localLatency > 0 && localGbps > 0, "\(inputs)")
            // The printed prediction is the model's arithmetic on the printed inputs.
            var model = ScalingInputs(parameters: Self.parameters, batchPerRank: 48, computeSecondsPerSample: computeMs / 1e3,
                                      updateSeconds: updateMs / 1e3, ranksPerHost: 4,
                                      network: LinkCost(latency: 30e-6, bandwidth: 1e9),
                                      local: LinkCost(latency: localLatency / 1e6, bandwidth: localGbps * 1e9 / 8))
            model.buckets = try #require(inputs["buckets"] as? Int)
            let algorithm = try #require((row["algorithm"] as? String).flatMap(AllReduceAlgorithm.init(rawValue:)))
            let ranks = try #require(row["ranks"] as? Int)
            let expected = try #require(ScalingModel.predict(model, ranks: ranks, algorithm: algorithm))
            let allReduce = try #require(row["allreduce_ms"] as? Double), steps = try #require(row["step_ms"] as? [String: Double])
            #expect(abs(allReduce - expected.allReduce * 1e3) <= 1e-9 * max(1, allReduce), "\(row)")
            #expect(abs((steps["sharded"] ?? -1) - expected.shardedStep * 1e3) <= 1e-9 * expected.shardedStep * 1e3, "\(row)")
            #expect((row["machine"] as? [String: Any])?["cpu"] != nil)
        }
        #expect(rows.first?["allreduce_ms"] as? Double == 0 && (rows.first?["efficiency"] as? [String: Double])?["sharded"] == 1)
        let table = try ProcessRunner.run(binary, ["bench", "scaling", config, "--latency-us", "30", "--gbps", "8", "--ranks", "8",
                                                   "--ranks-per-host", "4", "--local-latency-us", "1", "--local-gbps", "40",
                                                   "--steps", "2", "--repeats", "1"],
                                          environment: TrainingFixtures.environment, timeout: 120)
        #expect(table.status == 0 && table.stdout.hasPrefix("machine: "), "\(table.output)")
        #expect(table.stdout.contains("two_level") && table.stdout.contains("1.0 µs, 40.000 Gbit/s (given)"), "\(table.stdout)")
    }

    /// Option mistakes: exit 2 naming the option and what would do, before anything is measured.
    @Test(arguments: [
        ([] as [String], "--probe HOST,HOST measures them, or give --latency-us and --gbps"),
        (["--latency-us", "30"], "--latency-us and --gbps go together"),
        (["--latency-us", "30", "--gbps", "0"], "--gbps must be a number of Gbit/s from 1e-6 to 1e6"),
        (["--latency-us", "30", "--gbps", "1e-320"], "--gbps must be a number of Gbit/s from 1e-6 to 1e6"),
        (["--latency-us", "30", "--gbps", "1e308"], "--gbps must be a number of Gbit/s from 1e-6 to 1e6"),
        (["--latency-us", "1e300", "--gbps", "1"], "--latency-us must be a number of microseconds from 0 to 1e9"),
        (["--latency-us=-1", "--gbps", "1"], "--latency-us must be a number of microseconds"),
        (["--latency-us", "30", "--gbps", "1", "--local-gbps", "5"], "--local-latency-us and --local-gbps go together"),
        (["--probe", "a,b,c"], "--probe: 'a,b,c' is not two hosts"),
        (["--probe", "a:2,b"], "is not two hosts"),
        (["--latency-us", "30", "--gbps", "1", "--ranks", "1,0"], "--ranks: '1,0' is not a comma-separated list"),
        (["--latency-us", "30", "--gbps", "1", "--ranks-per-host", "0"], "--ranks-per-host must be at least 1"),
        (["--probe", "a,b", "--latency-us", "30", "--gbps", "1"], "--probe measures the network"),
        (["--probe", "a,a"], "names one host twice"),
        (["--latency-us", "30", "--gbps", "1", "--network", "10.0.0.0/24"], "--network and --mpirun-args are for the probe's mpirun"),
    ])
    func refusesBadOptions(arguments: [String], message: String) throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir)
        let result = try ProcessRunner.run(binary, ["bench", "scaling", config] + arguments, environment: TrainingFixtures.environment, timeout: 60)
        #expect(result.status == 2 && result.stderr.contains(message), "\(result.output)")
        #expect(result.stdout.isEmpty && !result.stderr.contains("Fatal error"), "\(result.output)")
    }

    /// No config, or one without a job: exit 2 saying so.
    @Test func refusesAMissingOrJoblessConfig() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let missing = try ProcessRunner.run(binary, ["bench", "scaling", "--latency-us", "30", "--gbps", "1"],
                                            environment: TrainingFixtures.environment, timeout: 60)
        #expect(missing.status == 2 && missing.stderr.contains("missing the config"), "\(missing.output)")
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = dir + "/program.yaml"
        try "sweep:\n  program: objective.sh\n  metric: {name: score}\n  parameters: {x: {min: 0.0, max: 1.0}}\n"
            .write(toFile: config, atomically: false, encoding: .utf8)
        let jobless = try ProcessRunner.run(binary, ["bench", "scaling", config, "--latency-us", "30", "--gbps", "1"],
                                            environment: TrainingFixtures.environment, timeout: 60)
        #expect(jobless.status == 2 && jobless.stderr.contains("program.yaml") && jobless.stderr.contains("no job section"), "\(jobless.output)")
    }

    /// `bench train`'s host options: --network without --hosts, or --hosts with one rank, is refused.
    @Test func trainBenchmarkRefusesHostOptionsItCannotUse() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        for (arguments, message) in [(["--ranks", "2", "--network", "10.0.0.0/24"], "give --hosts too"),
                                     (["--hosts", "a,b"], "give --ranks 2 or more")] {
            let result = try ProcessRunner.run(binary, ["bench", "train"] + arguments, environment: TrainingFixtures.environment, timeout: 60)
            #expect(result.status == 2 && result.stderr.contains(message), "\(result.output)")
        }
    }

    /// On one host the two-level all-reduce cannot apply: the benchmark says the ring stays and
    /// its rows say "ring" with `--no-shared-memory`; by default they say "shared_memory", as the
    /// ranks of one host then average in memory they share.
    @Test func allReduceBenchmarkSaysWhichAllReduceItTimed() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        for (option, name) in [("--no-shared-memory", "ring"), ("--shared-memory", "shared_memory")] {
            let json = try ProcessRunner.run(binary, ["bench", "allreduce", "--ranks", "2", "--sizes", "64K", "--reps", "2",
                                                      "--allreduce", "two_level", "--json", option],
                                             environment: TrainingFixtures.environment, timeout: 120)
            #expect(json.status == 0, "\(json.output)")
            #expect(TrainingFixtures.jsonLines(json.stdout).map { $0["allreduce"] as? String } == [name], "\(json.output)")
        }
        let table = try ProcessRunner.run(binary, ["bench", "allreduce", "--ranks", "2", "--sizes", "64K", "--reps", "2",
                                                   "--allreduce", "two_level"],
                                          environment: TrainingFixtures.environment, timeout: 120)
        #expect(table.stdout.contains("all-reduce: the flat ring (cluster.allreduce: two_level)"), "\(table.output)")
        let bad = try ProcessRunner.run(binary, ["bench", "allreduce", "--allreduce", "tree"], environment: TrainingFixtures.environment, timeout: 60)
        #expect(bad.status == 2 && bad.stderr.contains("tree"), "\(bad.output)")
    }
}

// In MultiHostTests' suite: one namespace cluster at a time (every test makes its own, same names).
extension MultiHostTests {
    /// Across 2 namespace hosts: the probe measures the link between them and the local link on
    /// the first; `bench allreduce` times the two-level all-reduce on 2 hosts × 2 ranks, and with
    /// `auto` says what the model chose; training with `cluster.allreduce: auto` says it too;
    /// `bench train --hosts` runs its N-rank job there.
    @Test func benchmarksRunAcrossHosts() throws {
        let cluster = try TestCluster.up(2)
        defer { cluster.down() }
        let binary = try #require(BuiltBinary.ringtrain)
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, batch: 48)
        let (a, b) = (cluster.addresses[0], cluster.addresses[1])
        let hostOptions = ["--network", TestCluster.subnet + ".0/24",
                           "--mpirun-args=--bind-to none --mca plm_rsh_agent '\(TestCluster.script) rsh' --mca plm_rsh_no_tree_spawn 1 --mca btl tcp,self"]
        let scaling = try ProcessRunner.run(binary, ["bench", "scaling", config, "--probe", "\(a),\(b)", "--ranks", "4", "--ranks-per-host", "2",
                                                     "--steps", "2", "--repeats", "1", "--json"] + hostOptions,
                                            environment: TestCluster.environment, timeout: 180)
        #expect(scaling.status == 0, "\(scaling.output)")
        let rows = TrainingFixtures.jsonLines(scaling.stdout)
        #expect(rows.map { $0["algorithm"] as? String } == ["ring", "two_level"], "\(scaling.output)")
        let inputs = rows.first?["inputs"] as? [String: Any]
        let network = inputs?["network"] as? [String: Any], local = inputs?["local"] as? [String: Any]
        #expect(network?["source"] as? String == "probe, \(a) ↔ \(b)" && local?["source"] as? String == "probe, 2 ranks on \(a)", "\(rows)")
        #expect((network?["latency_us"] as? Double ?? 0) > 0 && (network?["gbit_per_s"] as? Double ?? 0) > 0, "\(rows)")

        let allReduce = try ProcessRunner.run(binary, ["bench", "allreduce", "--ranks", "4", "--hosts", "\(a):2,\(b):2", "--sizes", "64K,1M",
                                                       "--reps", "2", "--allreduce", "two_level", "--json"] + hostOptions,
                                              environment: TestCluster.environment, timeout: 180)
        #expect(allReduce.status == 0, "\(allReduce.output)")
        #expect(TrainingFixtures.jsonLines(allReduce.stdout).map { $0["allreduce"] as? String } == ["two_level", "two_level"], "\(allReduce.output)")

        // auto: the links measured, the choice said, and the rows say the same.
        let automatic = try ProcessRunner.run(binary, ["bench", "allreduce", "--ranks", "4", "--hosts", "\(a):2,\(b):2", "--sizes", "1M",
                                                       "--reps", "2", "--allreduce", "auto"] + hostOptions,
                                              environment: TestCluster.environment, timeout: 180)
        #expect(automatic.status == 0, "\(automatic.output)")
        let chosen = automatic.stdout.contains("all-reduce: two-level (2 hosts × 2 ranks) by cluster.allreduce: auto: predicted") ? "two-level"
            : automatic.stdout.contains("all-reduce: the flat ring (2 hosts × 2 ranks) by cluster.allreduce: auto: predicted") ? "ring" : nil
        #expect(chosen != nil && automatic.stdout.contains("\(chosen ?? "?") all-reduce vs MPI_Allreduce"), "\(automatic.output)")
        // Training with auto: rank 0 says what the model chose for the gradient, and it trains.
        let trained = try Self.trainTraced(try Self.twoLevelConfig(cluster, in: dir, allreduce: "auto",
                                                                   averaging: TwoLevelAveraging(keys: "sharded_update: true")),
                                           dump: dir + "/auto.bin", steps: 3)
        #expect(trained.log.contains("by cluster.allreduce: auto: predicted") && trained.losses.count == 3, "\(trained.log)")

        let train = try ProcessRunner.run(binary, ["bench", "train", "--config", config, "--ranks", "2", "--hosts", "\(a),\(b)",
                                                   "--batch", "16", "--steps", "2", "--repeats", "1", "--json"] + hostOptions,
                                          environment: TestCluster.environment, timeout: 180)
        #expect(train.status == 0, "\(train.output)")
        #expect(TrainingFixtures.jsonLines(train.stdout).map { $0["ranks"] as? Int } == [1, 2, 2, 2, 2], "\(train.output)")
    }
}
