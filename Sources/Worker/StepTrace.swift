// StepTrace: `--trace-steps`, a debugging and test mode — training's own loop for a few steps,
// rank 0 printing each step's loss and a parameter checksum that every rank must agree on.
import Collective
import Model

/// A step observer that prints one JSON line per step from rank 0, `{"step", "loss", "checksum"}`
/// (the loss averaged over ranks and micro-steps), and fails once the ranks' parameter checksums
/// differ. Collective: every rank's trainer must carry one.
public final class StepTrace: StepObserver {
    private unowned let trainer: Trainer   // which holds this observer
    private let checksum: (UnsafeMutableBufferPointer<Float>) -> UInt64
    /// Steps traced so far.
    public private(set) var steps = 0

    /// Traces `trainer`'s steps; `checksum` fingerprints the parameters (equal exactly when they
    /// are bit-identical, up to collisions).
    public init(trainer: Trainer, checksum: @escaping (UnsafeMutableBufferPointer<Float>) -> UInt64) {
        self.trainer = trainer
        self.checksum = checksum
    }

    public func stepEnded(at position: TrainingPosition, loss localLoss: Double) throws {
        steps += 1
        let group = trainer.collectives
        let sum = checksum(trainer.network.store.parameters.buffer)
        let all = try group.allGather([localLoss, Double(sum >> 32), Double(sum & 0xFFFF_FFFF)])
        let sums = all.map { UInt64($0[1]) << 32 | UInt64($0[2]) }
        guard Set(sums).count == 1 else {
            throw TrainingError("parameters differ between ranks after step \(position.globalStep): checksums \(sums)")
        }
        let loss = all.reduce(0) { $0 + $1[0] } / Double(group.size * trainer.job.accumulate)
        if group.rank == 0 {
            print(jsonLine(["step": position.globalStep, "loss": loss, "checksum": String(sum, radix: 16)]))
        }
    }

    /// Trains `job` on `collectives` for `steps` optimizer steps through `Trainer.train` (so the
    /// batches are the ones training draws), tracing each one; returns the trainer. `steps` is
    /// at least 1 and at most the job's budget (`job.steps`, or every epoch's steps), checked
    /// before the data loads when the budget does not depend on it.
    /// - Throws: `TrainingError` for `steps` outside that range.
    @discardableResult
    public static func run(job: TrainingJob, collectives: Collectives, steps: Int,
                           checksum: @escaping (UnsafeMutableBufferPointer<Float>) -> UInt64) throws -> Trainer {
        try checkRange(steps, budget: job.steps)   // an epochs budget is known once the data is
        let data = try DatasetLoader.load(job.dataset, seed: job.seed)
        let trainer = try Trainer(job: job, data: data, collectives: collectives)
        if job.steps == nil { try checkRange(steps, budget: trainer.stepsPerEpoch * job.epochs) }
        let trace = StepTrace(trainer: trainer, checksum: checksum)
        trainer.observer = trace
        trainer.shouldStop = { [unowned trace] in trace.steps >= steps }
        try trainer.train { _ in }
        return trainer
    }

    /// Refuses a step count below 1 or above `budget` (nil: not yet known).
    static func checkRange(_ steps: Int, budget: Int?) throws {
        guard steps >= 1 else { throw TrainingError(Self.belowOne(steps)) }
        if let budget, steps > budget {
            throw TrainingError("--trace-steps \(steps) is more than the job trains: \(budget) steps; give 1 to \(budget)")
        }
    }

    /// What a command says of `--trace-steps` below 1.
    public static func belowOne(_ steps: Int) -> String {
        "--trace-steps must be from 1 to the job's step budget (got \(steps))"
    }
}
