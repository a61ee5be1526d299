// BenchTrainCommand: `ringtrain bench train` — training samples/s (tokens/s for text) of a built-in
// model or of any config's model, beside the sgemm-bound limit measured in the same run.
import ArgumentParser
import Coordinator

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training throughput against this machine's sgemm limit at the same shapes.")

    @Option(help: "Model: mlp (784-512-256-10) or cnn (conv16-conv32-fc128) on Fashion-MNIST; gpt (\(TrainBenchmarkSettings.configOf["gpt"]!)) or resnet (\(TrainBenchmarkSettings.configOf["resnet"]!)). (default: mlp)")
    var model: String?

    @Option(parsing: .unconditional, help: "Samples per rank per step (default 128 for mlp and cnn; a config's batch_size otherwise).")
    var batch: Int?

    @Option(parsing: .unconditional, help: "Training steps per timed repetition (default 200 for mlp, 20 for cnn, 5 for a text model, 10 for other configs).")
    var steps: Int?

    @Option(help: "Measure this config's model on its data instead (synthetic bytes if its text corpus is missing); with --model gpt or resnet, the config used in place of theirs.")
    var config: String?

    @Option(parsing: .unconditional, help: "Timed repetitions; medians are reported.")
    var repeats: Int = 5

    @Option(help: "Folder with the Fashion-MNIST IDX files.")
    var data: String = "/usr/share/datasets/fashion-mnist"

    @Flag(help: "One JSON object per row.")
    var json = false

    @Option(parsing: .unconditional, help: "Ranks: 1 measures one process; N > 1 measures 1 rank, then N ranks under mpirun.")
    var ranks: Int = 1

    @Flag(help: "Send gradients as fp16 in the all-reduce (N-rank row).")
    var fp16 = false

    @Flag(inversion: .prefixedNo, help: "On one host, keep gradients and parameters in memory the ranks share and average them there (as training does by default, cluster.shared_memory); --no-shared-memory sends them as messages.")
    var sharedMemory = true

    @Flag(help: "Measure memory instead: each rank's optimizer-state bytes and peak resident memory (VmHWM), with the whole optimizer state on every rank and with each rank keeping its shard (the sharded update). Its ranks send gradients as messages, as with --no-shared-memory, so peak memory counts no page another rank owns.")
    var memory = false

    @Option(help: "Comma-separated hosts (host or host:slots) for the N-rank job instead of this machine; the 1-rank baseline runs on the first.")
    var hosts: String?

    @OptionGroup var hostOptions: MPIHostOptions

    @Flag(help: .hidden) var worker = false
    @Option(help: .hidden) var shardedState: Bool?

    func validate() throws {
        if let model, !TrainBenchmarkSettings.builtIn.contains(model) && TrainBenchmarkSettings.configOf[model] == nil {
            throw ValidationError("--model: '\(model)' is not a benchmark model; use mlp, cnn, gpt or resnet, or --config FILE for any config's model")
        }
        if let model, config != nil, TrainBenchmarkSettings.builtIn.contains(model) {
            throw ValidationError("--config: --model \(model) is built in and takes no config; drop --model to measure the config's own model")
        }
        try BenchCounts.check([("--batch", batch, Int.max), ("--steps", steps, BenchCounts.steps),
                               ("--repeats", repeats, BenchCounts.repeats), ("--ranks", ranks, BenchCounts.ranks)])
        if let hosts {
            guard ranks > 1 else { throw ValidationError("--hosts: the hosts run the N-rank job; give --ranks 2 or more") }
            do { _ = try BenchmarkCluster.hosts(hosts) } catch { throw ValidationError("--hosts: \(error)") }
        } else if hostOptions.given {
            throw ValidationError("--network and --mpirun-args are for the N-rank job on other hosts; give --hosts too")
        }
    }

    func run() throws {
        var settings = TrainBenchmarkSettings()
        (settings.model, settings.batch, settings.steps, settings.config) = (model, batch, steps, config)
        (settings.repeats, settings.data, settings.json, settings.ranks, settings.fp16) = (repeats, data, json, ranks, fp16)
        settings.sharedMemory = sharedMemory
        let rank = ["bench", "train", "--worker"]
            + rankArguments(["--model": model, "--config": config, "--batch": batch, "--steps": steps,
                             "--repeats": repeats, "--data": data, "--ranks": ranks])
            + (fp16 ? ["--fp16"] : []) + (sharedMemory ? [] : ["--no-shared-memory"])
        try exitOnUserError {
            if hosts != nil && !worker {
                settings.cluster = try BenchmarkCluster.make(hosts: hosts, network: hostOptions.network, mpirunArgs: hostOptions.mpirunArgs,
                                                             binary: MPILauncher.selfExecutable)
            }
            if memory {
                if worker {
                    try TrainMemoryBenchmark.runRank(settings, shardedState: shardedState ?? true)
                } else {
                    try TrainMemoryBenchmark.run(settings, rankArguments: rank + ["--memory"])
                }
            } else if worker { try TrainBenchmarkRun.runRank(settings) } else { try TrainBenchmarkRun.run(settings, rankArguments: rank) }
        }
    }
}
