// BenchmarkCommandTests: the throughput benchmarks run end to end under real mpirun and print
// every row their --json contract promises (tiny runs: these check the commands, never speed).
import Foundation
import Testing

@Suite(.serialized)
struct BenchmarkCommandTests {
    /// The 1-rank baseline, a 2-rank row per way of averaging, and the sharded update without
    /// reclaiming cache lines, from one mpirun job.
    @Test(.enabled(if: TrainingFixtures.haveFashion, "Fashion-MNIST not installed (scripts/setup installs it)"))
    func trainBenchmarkPrintsAllRows() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let result = try ProcessRunner.run(binary, ["bench", "train", "--ranks", "2", "--steps", "3", "--repeats", "2", "--json"],
                                           environment: TrainingFixtures.environment, timeout: 180)
        #expect(result.status == 0, "\(result.output)")
        let rows = TrainingFixtures.jsonLines(result.stdout)
        try #require(rows.count == 5, "\(result.output)")
        #expect(rows.map { $0["ranks"] as? Int } == [1, 2, 2, 2, 2])
        #expect(rows.map { $0["averaging"] as? String } == [nil, "one_call", "overlap", "sharded", "sharded"])
        #expect(rows.map { $0["reclaim"] as? Bool } == [nil, nil, nil, true, false])
        #expect(rows[0]["overlap"] == nil && rows[1]["overlap"] as? Bool == false && rows[2]["overlap"] as? Bool == true)
        #expect(rows[0]["efficiency"] == nil)
        for row in rows[1...] {
            let efficiency = try #require(row["efficiency"] as? Double, "\(row)")
            #expect(efficiency > 0 && efficiency.isFinite)
            #expect((row["communicate_ms"] as? Double ?? -1) >= 0)
        }
        for row in rows { #expect((row["samples_per_s"] as? Double ?? 0) > 0, "\(row)") }
        for row in rows { expectMachine(row) }
    }

    /// `--config` measures any config's declared model on its own data (here a residual CNN with
    /// synchronised batch norm): the same five rows, named after the job, at the batch asked for,
    /// without tokens (the data is not text).
    @Test func trainBenchmarkMeasuresAConfigsModel() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try TrainingFixtures.smallConfig(in: dir, batch: 48, model: DataParallelTests.batchNormCNN)
        let result = try ProcessRunner.run(binary, ["bench", "train", "--config", config, "--ranks", "2", "--batch", "8",
                                                    "--steps", "2", "--repeats", "1", "--json"],
                                           environment: TrainingFixtures.environment, timeout: 180)
        #expect(result.status == 0, "\(result.output)")
        let rows = TrainingFixtures.jsonLines(result.stdout)
        try #require(rows.count == 5, "\(result.output)")
        #expect(rows.map { $0["ranks"] as? Int } == [1, 2, 2, 2, 2])
        let name = try #require(rows[0]["model"] as? String)
        for row in rows {
            #expect(row["model"] as? String == name && row["batch"] as? Int == 8, "\(row)")
            #expect(row["tokens_per_s"] == nil && (row["samples_per_s"] as? Double ?? 0) > 0, "\(row)")
            #expect((row["flops_per_sample"] as? Double ?? 0) > 0, "\(row)")
        }
        for row in rows[1...] { #expect((row["efficiency"] as? Double ?? 0) > 0, "\(row)") }
    }

    /// A config that runs a program (no job section) has no model to measure: exit 2, naming the
    /// file and the missing section, instead of numbers for a default model.
    @Test func trainBenchmarkRefusesAConfigWithoutAJob() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = dir + "/program.yaml"
        try "sweep:\n  program: objective.sh\n  metric: {name: score}\n  parameters: {x: {min: 0.0, max: 1.0}}\n"
            .write(toFile: config, atomically: false, encoding: .utf8)
        let result = try ProcessRunner.run(binary, ["bench", "train", "--config", config], environment: TrainingFixtures.environment, timeout: 60)
        #expect(result.status == 2 && result.stderr.contains("program.yaml") && result.stderr.contains("no job section"), "\(result.output)")
        #expect(result.stdout.isEmpty, "\(result.stdout)")
    }

    /// Ring and MPI_Allreduce side by side: every size gets both times and the ratio.
    @Test func allReduceBenchmarkPrintsEverySize() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let result = try ProcessRunner.run(binary, ["bench", "allreduce", "--ranks", "2", "--sizes", "4K,1M", "--reps", "3", "--json"],
                                           environment: TrainingFixtures.environment, timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        let rows = TrainingFixtures.jsonLines(result.stdout)
        #expect(rows.compactMap { $0["bytes"] as? Int } == [4096, 1_048_576], "\(result.output)")
        for row in rows {
            for key in ["ring_us", "mpi_us", "ring_busbw_gbs", "mpi_busbw_gbs", "ratio"] {
                #expect((row[key] as? Double ?? 0) > 0, "\(key) in \(row)")
            }
            expectMachine(row)
        }
    }

    /// Option mistakes end with exit code 2 and a message naming the option, before mpirun starts.
    @Test(arguments: [(["--sizes", "4K,6"], "bad size '6'"), (["--reps", "0"], "--reps must be at least 1"),
                      (["--hosts", "a:0"], "--hosts: bad host 'a:0'")])
    func allReduceBenchmarkRefusesBadOptions(arguments: [String], message: String) throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let result = try ProcessRunner.run(binary, ["bench", "allreduce", "--ranks", "2"] + arguments,
                                           environment: TrainingFixtures.environment, timeout: 60)
        #expect(result.status == 2 && result.stderr.contains(message), "\(result.output)")
        #expect(!result.stderr.contains("Fatal error"))
    }

    /// The checkpoint and search benchmarks say which machine made their rows too, and print
    /// the machine line above their tables.
    @Test func checkpointAndSearchRowsCarryTheMachine() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        for arguments in [["bench", "checkpoint", "--size-mb", "1", "--repeats", "1"],
                          ["bench", "search", "--objective", "in-process", "--evals", "3", "--seeds", "1", "--parallel", "1"]] {
            let json = try ProcessRunner.run(binary, arguments + ["--json"], environment: TrainingFixtures.environment, timeout: 120)
            #expect(json.status == 0, "\(json.output)")
            let rows = TrainingFixtures.jsonLines(json.stdout)
            #expect(!rows.isEmpty, "\(json.output)")
            for row in rows { expectMachine(row) }
            let table = try ProcessRunner.run(binary, arguments, environment: TrainingFixtures.environment, timeout: 120)
            #expect(table.stdout.hasPrefix("machine: "), "\(table.stdout)")
        }
    }

    /// A row's `machine` object has every key of the contract, with the BLAS the binary runs.
    private func expectMachine(_ row: [String: Any]) {
        guard let machine = row["machine"] as? [String: Any] else {
            Issue.record("no machine object in \(row)")
            return
        }
        for key in ["cpu", "isa", "blas", "blas_version", "blas_core", "mpi"] {
            #expect(!(machine[key] as? String ?? "").isEmpty, "\(key) in \(machine)")
        }
        #expect((machine["threads"] as? Int ?? 0) >= 1, "\(machine)")
    }
}
