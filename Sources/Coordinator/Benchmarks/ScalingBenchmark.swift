// ScalingBenchmark: `ringtrain bench scaling CONFIG` — measures the scaling model's inputs (one
// rank's compute and update for the config's model, the links by a probe or as given) and prints
// the predicted all-reduce and step times and efficiency at each rank count.
import Collective
import Foundation
import Model
import Worker

/// What `ringtrain bench scaling` measures and predicts (its options, already validated).
public struct ScalingBenchmarkSettings: Sendable {
    /// The run config whose model is measured.
    public var config: String
    /// Samples per rank per step (default: the config's, batch_size ÷ (ranks × accumulate)).
    public var batch: Int?
    /// Training steps per timed repetition of the 1-rank measurement (default as `bench train`).
    public var steps: Int?
    /// Timed repetitions of the 1-rank measurement; medians count. Default 3.
    public var repeats = 3
    /// Rank counts predicted. Default `defaultRankCounts`.
    public var rankCounts = Self.defaultRankCounts
    /// 1, 2, 4, … 1024.
    public static let defaultRankCounts = (0...10).map { 1 << $0 }
    /// Ranks per host (default: the config's first host's slots, else 1).
    public var ranksPerHost: Int?
    /// Two hosts to probe: the network between them, and the local link on the first (2 ranks there).
    public var probeHosts: [String]?
    /// cluster.network and cluster.mpirun_args for the probes' mpirun.
    public var network: String?, mpirunArgs: String?
    /// The links given as numbers instead of probed.
    public var networkLink: LinkCost?, localLink: LinkCost?
    /// fp16 gradients on the wire (default: the config's job.gradient_compression).
    public var fp16: Bool?
    /// One JSON object per prediction instead of a table.
    public var json = false

    public init(config: String) { self.config = config }
}

/// The measured inputs, then the predictions.
public enum ScalingBenchmark {
    /// Measures, predicts and prints as `settings` say. `probeArguments` are the arguments that
    /// make this binary run `probeRank` on each rank of a probe's 2-rank job.
    public static func run(_ settings: ScalingBenchmarkSettings, probeArguments: [String]) throws {
        let inputs = try measuredInputs(settings, probeArguments: probeArguments)
        let predictions = ScalingModel.predict(inputs.inputs, rankCounts: settings.rankCounts)
        if settings.json {
            for p in predictions { print(jsonLine(json(p, inputs: inputs))) }
        } else {
            print(rendered(predictions, inputs: inputs))
        }
    }

    /// One rank of a link probe (2 ranks under mpirun): rank 0 prints the link as a JSON line.
    public static func probeRank() throws {
        try MPIEnvironment.initialize()
        let communicator = try MPICommunicator.world()
        guard communicator.size == 2 else { throw LaunchError("the link probe needs exactly 2 ranks, not \(communicator.size)") }
        let link = try LinkProbe.measure(communicator, peer: 1 - communicator.rank)
        if communicator.rank == 0 { print(jsonLine(["latency_s": link.latency, "bandwidth_bytes_per_s": link.bandwidth])) }
        try MPIEnvironment.finalize()
    }

    /// The model's inputs and where each came from.
    public struct MeasuredInputs: Sendable {
        public var inputs: ScalingInputs
        /// The measured model's name (the config's job name).
        public var model: String
        /// Where each link's figures came from, e.g. "probe 10.77.0.11 ↔ 10.77.0.12" or "given".
        public var networkSource: String, localSource: String
        public var machine = Machine.current
    }

    /// One rank's compute and update time for the config's model (this machine, in-process), and
    /// the links (probed or given).
    static func measuredInputs(_ settings: ScalingBenchmarkSettings, probeArguments: [String]) throws -> MeasuredInputs {
        let run = try RunConfig.load(path: settings.config, dataFiles: .skipped)
        var bench = TrainBenchmarkSettings()
        (bench.config, bench.steps, bench.repeats) = (settings.config, settings.steps, settings.repeats)
        bench.batch = settings.batch ?? run.job.localBatch
        let (job, tokens, _) = try TrainBenchmarkRun.job(bench, ranks: 1)
        let splits = try DatasetLoader.load(job.dataset, seed: job.seed)
        let trainer = try Trainer(job: job, data: splits, collectives: .singleRank())
        let measured = try TrainBenchmark.measure(trainer: trainer, steps: TrainBenchmarkRun.stepsPerRepetition(bench, tokens: tokens),
                                                  repeats: settings.repeats, modes: [.together(.oneCall)])[0]
        let probe = settings.probeHosts.map { ($0[0], $0[1]) }
        let (network, networkSource) = try link(settings.networkLink, between: probe, settings, probeArguments: probeArguments)
        let (local, localSource) = try link(settings.localLink, between: probe.map { ($0.0, $0.0) }, settings, probeArguments: probeArguments)
        let slots = run.cluster.hosts.first?.slots ?? 1
        var inputs = ScalingInputs(parameters: trainer.network.store.count, batchPerRank: job.localBatch,
                                   computeSecondsPerSample: measured.computeMilliseconds / 1e3 / Double(job.localBatch),
                                   updateSeconds: measured.updateMilliseconds / 1e3, ranksPerHost: settings.ranksPerHost ?? slots,
                                   network: network, local: local)
        inputs.halfPrecision = settings.fp16 ?? run.job.fp16Gradients
        inputs.buckets = GradientBuckets(layerRanges: trainer.network.parameterRanges, minimumBytes: job.bucketBytes).buckets.count
        return MeasuredInputs(inputs: inputs, model: job.name, networkSource: networkSource, localSource: localSource)
    }

    /// `given`, or the link a probe measures between its 2 ranks, one on each of `hosts` (the
    /// same host twice: both there; nil: this machine).
    static func link(_ given: LinkCost?, between hosts: (String, String)?, _ settings: ScalingBenchmarkSettings,
                     probeArguments: [String]) throws -> (LinkCost, String) {
        if let given { return (given, "given") }
        var cluster: ClusterSpec?
        if let (a, b) = hosts {
            cluster = try BenchmarkCluster.make(hosts: a == b ? "\(a):2" : "\(a),\(b)", network: settings.network,
                                                mpirunArgs: settings.mpirunArgs, binary: MPILauncher.selfExecutable)
        }
        let output = try SelfLaunch.capture(ranks: 2, arguments: probeArguments, cluster: cluster)
        guard let row = TrainBenchmarkRun.jsonObjects(in: output).last, let latency = row["latency_s"] as? Double,
              let bandwidth = row["bandwidth_bytes_per_s"] as? Double else {
            throw LaunchError("the link probe printed no result:\n\(output)")
        }
        let source = hosts.map { a, b in a == b ? "2 ranks on \(a)" : "\(a) ↔ \(b)" } ?? "2 ranks on this machine"
        return (LinkCost(latency: latency, bandwidth: bandwidth), "probe, " + source)
    }

    /// A prediction as a JSON object (times in milliseconds), with the inputs and the machine.
    static func json(_ p: ScalingPrediction, inputs m: MeasuredInputs) -> [String: Any] {
        let i = m.inputs
        return ["model": m.model, "ranks": p.ranks, "hosts": p.hosts, "ranks_per_host": p.ranksPerHost,
                "algorithm": p.algorithm.rawValue, "allreduce_ms": p.allReduce * 1e3, "allreduce_latency_ms": p.allReduceLatency * 1e3,
                "step_ms": ["one_call": p.oneCallStep * 1e3, "sharded": p.shardedStep * 1e3, "overlap": p.overlapStep * 1e3],
                "efficiency": ["one_call": p.oneCallEfficiency, "sharded": p.shardedEfficiency, "overlap": p.overlapEfficiency],
                "inputs": ["parameters": i.parameters, "batch_per_rank": i.batchPerRank,
                           "compute_ms_per_sample": i.computeSecondsPerSample * 1e3, "update_ms": i.updateSeconds * 1e3,
                           "buckets": i.buckets, "fp16": i.halfPrecision,
                           "network": ["latency_us": i.network.latency * 1e6, "gbit_per_s": i.network.bandwidth * 8 / 1e9, "source": m.networkSource],
                           "local": ["latency_us": i.local.latency * 1e6, "gbit_per_s": i.local.bandwidth * 8 / 1e9, "source": m.localSource]],
                "machine": m.machine.json]
    }

    /// The machine line, the inputs, the table and its legend.
    static func rendered(_ predictions: [ScalingPrediction], inputs m: MeasuredInputs) -> String {
        let i = m.inputs
        func ms(_ seconds: Double) -> String { String(format: seconds < 0.01 ? "%.3f" : "%.1f", seconds * 1e3) }
        func link(_ l: LinkCost, _ source: String) -> String { "\(l.summary) (\(source))" }
        var lines = [m.machine.line,
                     "model \(m.model): \(i.parameters) parameters (\(String(format: "%.2f", 4 * Double(i.parameters) / 1e6)) MB fp32), "
                     + "\(i.batchPerRank) samples per rank per step, \(i.buckets) overlap bucket\(i.buckets == 1 ? "" : "s")\(i.halfPrecision ? ", fp16 gradients" : "")",
                     "one rank (measured here): compute \(ms(i.computeSecondsPerSample * Double(i.batchPerRank))) ms a step, update \(ms(i.updateSeconds)) ms",
                     "between hosts: \(link(i.network, m.networkSource)); within a host: \(link(i.local, m.localSource)); \(i.ranksPerHost) rank\(i.ranksPerHost == 1 ? "" : "s") a host"]
        var table = TextTable(headers: ["ranks", "hosts×ranks", "all-reduce", "all-reduce ms", "of it latency", "step one-call",
                                        "step sharded", "step overlap", "eff one-call", "eff sharded", "eff overlap"])
        for p in predictions {
            table.add(["\(p.ranks)", p.placement, p.algorithm.rawValue, ms(p.allReduce), ms(p.allReduceLatency),
                       ms(p.oneCallStep), ms(p.shardedStep), ms(p.overlapStep),
                       String(format: "%.2f", p.oneCallEfficiency), String(format: "%.2f", p.shardedEfficiency),
                       String(format: "%.2f", p.overlapEfficiency)])
        }
        lines.append(table.rendered)
        lines.append("(predicted, in ms; the per-rank batch stays fixed as ranks grow; efficiency = 1-rank step ÷ N-rank step; ring: "
                     + "2(N−1) steps of S/N, each as slow as its slowest link; two_level: within each host, then across hosts "
                     + "with the host's ranks sharing its link, then within each host again; sharded: 1/N of the update; overlap: "
                     + "buckets during the backward pass (\(Int(i.backwardShare * 100))% of compute), the last bucket after it)")
        return lines.joined(separator: "\n")
    }
}
