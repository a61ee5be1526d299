// TrainMemoryBenchmark: `ringtrain bench train --memory` — each rank's optimizer-state bytes and
// peak resident memory (VmHWM) after training steps and after a checkpoint's gather, with the
// whole optimizer state on every rank and with each rank keeping its shard, one mpirun job each.
import Collective
import Foundation
import Model
import Worker

/// One rank's memory in one way of keeping optimizer state.
public struct TrainMemoryRow: Sendable, Equatable {
    public var model: String
    public var ranks: Int
    public var rank: Int
    /// Whether each rank kept optimizer state for its shard only (the sharded update).
    public var shardedState: Bool
    /// Bytes of optimizer state this rank keeps.
    public var optimizerStateBytes: Int
    /// Peak resident bytes (VmHWM) after the training steps.
    public var peakAfterTraining: Int
    /// Peak resident bytes after the optimizer state was gathered for a checkpoint (rank 0 holds
    /// the whole of it then).
    public var peakAfterGather: Int
    /// What `validate`'s estimate says one rank needs (`MemoryEstimate.total`).
    public var estimate: Int

    public var json: [String: Any] {
        ["model": model, "ranks": ranks, "rank": rank, "sharded_state": shardedState, "optimizer_state_bytes": optimizerStateBytes,
         "peak_rss_bytes": peakAfterTraining, "peak_rss_after_gather_bytes": peakAfterGather, "estimate_bytes": estimate]
    }

    public init?(json o: [String: Any]) {
        guard let model = o["model"] as? String, let ranks = o["ranks"] as? Int, let rank = o["rank"] as? Int,
              let sharded = o["sharded_state"] as? Bool, let state = o["optimizer_state_bytes"] as? Int,
              let training = o["peak_rss_bytes"] as? Int, let gather = o["peak_rss_after_gather_bytes"] as? Int,
              let estimate = o["estimate_bytes"] as? Int else { return nil }
        self.init(model: model, ranks: ranks, rank: rank, shardedState: sharded, optimizerStateBytes: state,
                  peakAfterTraining: training, peakAfterGather: gather, estimate: estimate)
    }

    public init(model: String, ranks: Int, rank: Int, shardedState: Bool, optimizerStateBytes: Int,
                peakAfterTraining: Int, peakAfterGather: Int, estimate: Int) {
        (self.model, self.ranks, self.rank, self.shardedState) = (model, ranks, rank, shardedState)
        (self.optimizerStateBytes, self.peakAfterTraining, self.peakAfterGather, self.estimate) =
            (optimizerStateBytes, peakAfterTraining, peakAfterGather, estimate)
    }
}

/// Runs the memory measurement and prints its rows.
public enum TrainMemoryBenchmark {
    /// Launches one mpirun job of `settings.ranks` ranks per way of keeping the state (whole,
    /// then sharded), each running this binary with `rankArguments` plus `--sharded-state`, and
    /// prints their rows.
    public static func run(_ settings: TrainBenchmarkSettings, rankArguments: [String]) throws {
        var rows: [TrainMemoryRow] = []
        for sharded in [false, true] {
            let output = try SelfLaunch.capture(ranks: settings.ranks, arguments: rankArguments + ["--sharded-state", "\(sharded)"],
                                                cluster: settings.cluster)
            let found = TrainBenchmarkRun.jsonObjects(in: output).compactMap(TrainMemoryRow.init(json:))
            guard found.count == settings.ranks else { throw LaunchError("the \(settings.ranks)-rank memory measurement printed no result:\n\(output)") }
            rows += found
        }
        print(rendered(rows, settings: settings))
    }

    /// One rank: trains the benchmark's steps keeping the state as `shardedState` says, reads
    /// its memory, gathers the state as a checkpoint would, reads it again; rank 0 prints every
    /// rank's row as a JSON line.
    public static func runRank(_ settings: TrainBenchmarkSettings, shardedState: Bool) throws {
        let group = try TrainBenchmarkRun.rankGroup()
        var (job, tokens, _) = try TrainBenchmarkRun.job(settings, ranks: group.size)
        (job.overlap, job.shardedUpdate) = (false, shardedState)
        let splits = try DatasetLoader.load(job.dataset, seed: job.seed)
        let estimate = try JobDataCheck.check(job, data: splits, ranks: group.size, ranksOnHost: group.size, available: nil)
        let trainer = try Trainer(job: job, data: splits, collectives: group)
        var none: ClassificationMetrics? = nil
        let sampler = trainer.currentSampler()
        for _ in 0..<min(TrainBenchmarkRun.stepsPerRepetition(settings, tokens: tokens), sampler.stepsPerEpoch) {
            _ = try trainer.step(sampler, metrics: &none)
        }
        let afterTraining = ProcessMemory.current()
        _ = try trainer.optimizerStateForCheckpoint()
        let afterGather = ProcessMemory.current()
        let stateBytes = trainer.optimizer.stateRange.count * trainer.optimizer.stateNames.count * MemoryLayout<Float>.size
        let table = try group.allGather([Double(stateBytes), Double(afterTraining?.peak ?? 0), Double(afterGather?.peak ?? 0)])
        let name = TrainBenchmarkRun.modelName(settings, job: job, data: splits, trainer: trainer, tokens: tokens)
        if group.rank == 0 {
            for (rank, values) in table.enumerated() {
                let row = TrainMemoryRow(model: name, ranks: group.size, rank: rank, shardedState: shardedState,
                                         optimizerStateBytes: Int(values[0]), peakAfterTraining: Int(values[1]),
                                         peakAfterGather: Int(values[2]), estimate: Int(estimate.total))
                print(jsonLine(row.json))
            }
        }
        try MPIEnvironment.finalize()
    }

    /// `rows` as JSON lines, or as the machine line and a table with its legend.
    static func rendered(_ rows: [TrainMemoryRow], settings: TrainBenchmarkSettings) -> String {
        if settings.json {
            return rows.map { jsonLine($0.json.merging(["machine": Machine.current.json]) { $1 }) }.joined(separator: "\n")
        }
        let mib = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_048_576) }
        var table = TextTable(headers: ["model", "ranks", "optimizer state", "rank", "state MiB", "peak MiB", "peak MiB after gather", "estimate MiB"])
        for r in rows {
            table.add([r.model, "\(r.ranks)", r.shardedState ? "sharded" : "whole", "\(r.rank)", mib(r.optimizerStateBytes),
                       mib(r.peakAfterTraining), mib(r.peakAfterGather), mib(r.estimate)])
        }
        return [Machine.current.line, table.rendered,
                "(one mpirun job per way of keeping optimizer state; state = the optimizer state this rank keeps; peak = the process's "
                + "VmHWM after the training steps, and after the state was gathered on rank 0 as a checkpoint gathers it; "
                + "estimate = what validate estimates one rank needs)"].joined(separator: "\n")
    }
}
