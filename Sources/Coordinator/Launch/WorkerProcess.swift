// WorkerProcess: the `--trace-steps` loop a rank runs instead of training (see `RankLife`): a
// few optimizer steps, printing each step's loss and a parameter checksum the ranks must agree on.
import Collective
import Foundation
import Model
import Worker

/// The rank-side step trace.
public enum WorkerProcess {
    /// Runs `steps` optimizer steps, rank 0 printing one JSON line per step:
    /// `{"step", "loss", "checksum"}`; fails if the ranks' parameter checksums ever differ.
    /// The batches are the ones training draws: the job's step sampler with `job.steps`, else
    /// each epoch's order, epoch after epoch.
    static func trace(job: TrainingJob, group: Collectives, steps: Int, options: RankOptions) throws {
        let data = try DatasetLoader.load(job.dataset, seed: job.seed)
        let trainer = try Trainer(job: job, data: data, collectives: group)
        var none: ClassificationMetrics? = nil
        for _ in 0..<steps {
            let localLoss: Double
            if let sampler = trainer.stepSampler {
                localLoss = try trainer.step(sampler, metrics: &none)
            } else {
                if trainer.position.stepInEpoch >= trainer.stepsPerEpoch {
                    trainer.resume(at: TrainingPosition(epoch: trainer.position.epoch + 1, globalStep: trainer.position.globalStep),
                                   skippedSteps: trainer.skippedSteps)
                }
                localLoss = try trainer.step(trainer.currentSampler(), metrics: &none)
            }
            let checksum = parameterChecksum(trainer.network.store.parameters.buffer)
            let all = try group.allGather([localLoss, Double(checksum >> 32), Double(checksum & 0xFFFF_FFFF)])
            let loss = all.reduce(0) { $0 + $1[0] } / Double(group.size * job.accumulate)
            let sums = Set(all.map { UInt64($0[1]) << 32 | UInt64($0[2]) })
            guard sums.count == 1 else {
                throw TrainingError("parameters differ between ranks after step \(trainer.position.globalStep): checksums \(all.map { UInt64($0[1]) << 32 | UInt64($0[2]) })")
            }
            if group.rank == 0 {
                print(jsonLine(["step": trainer.position.globalStep, "loss": loss, "checksum": String(checksum, radix: 16)]))
            }
        }
        if group.rank == 0, let path = options.dumpParameters { try dump(trainer.network.store.parameters.array, to: path) }
    }

    /// FNV-1a over the parameters' bytes: equal exactly when the parameters are bit-identical
    /// (up to hash collisions).
    static func parameterChecksum(_ values: UnsafeMutableBufferPointer<Float>) -> UInt64 {
        var hash = FNV1a()
        for v in values { hash.add(word: UInt64(v.bitPattern)) }
        return hash.value
    }

    static func dump(_ values: [Float], to path: String) throws { try RankLife.dump(values, to: path) }
}
