// WorkerProcess: the `--trace-steps` run a rank makes instead of training (see `RankLife`): a few
// steps of training's own loop (`StepTrace`) with the config side's parameter checksum.
import Collective
import Foundation
import Model
import Worker

/// The rank-side step trace.
public enum WorkerProcess {
    /// Runs `steps` optimizer steps of training, rank 0 printing one JSON line per step
    /// (`StepTrace`); fails if the ranks' parameter checksums ever differ.
    static func trace(job: TrainingJob, group: Collectives, steps: Int, options: RankOptions) throws {
        let trainer = try StepTrace.run(job: job, collectives: group, steps: steps, checksum: parameterChecksum)
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
