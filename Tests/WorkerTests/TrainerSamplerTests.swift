// Trainer sampler tests: the epoch sampler the trainer keeps is always the current epoch's order,
// also after a move to another epoch, and a steps job's trainer exposes the step sampler it trains with.
import Testing
@testable import Worker
import Model

/// 100 samples of 4 features in 2 classes, in memory.
private func splits() -> DataSplits {
    let features = (0..<400).map { Float($0 % 17) / 17 }
    let targets = (0..<100).map { Float($0 % 2) }
    return DataSplits(train: Dataset(features: features, targets: targets, sampleShape: [4], task: .classification(classes: 2)))
}

private func tinyJob(steps: Int? = nil) -> TrainingJob {
    var job = TrainingJob(dataset: .fashionMNIST())   // the data is given to the trainer directly
    job.model = ModelSpec(kind: .mlp, hidden: [4])
    job.batchSize = 10
    job.accumulate = 2
    job.seed = 9
    if let steps { (job.epochs, job.steps) = (1, steps) }
    return job
}

/// Every index `sampler` gives rank 0 over `steps` steps of an epoch.
private func order<Sampler: BatchSampler>(_ sampler: Sampler, epoch: Int, steps: Int) -> [[Int]] {
    var indices: [Int] = []
    return (0..<steps).flatMap { step in
        (0..<2).map { micro in
            sampler.indices(at: TrainingPosition(epoch: epoch, stepInEpoch: step, globalStep: step), microStep: micro, rank: 0, into: &indices)
            return indices
        }
    }
}

@Test("the trainer's epoch sampler is the current epoch's order, after moving between epochs too")
func currentSamplerFollowsTheEpoch() throws {
    let job = tinyJob()
    let trainer = try Trainer(job: job, data: splits(), collectives: .singleRank())
    #expect(trainer.stepsPerEpoch == 10 && trainer.stepSampler == nil)
    func expected(_ epoch: Int) -> [[Int]] {
        order(EpochSampler(sampleCount: 100, globalBatch: 10, ranks: 1, accumulate: 2, tail: job.tail, seed: job.seed, epoch: epoch),
              epoch: epoch, steps: 10)
    }
    #expect(order(trainer.currentSampler(), epoch: 0, steps: 10) == expected(0))
    trainer.resume(at: TrainingPosition(epoch: 2, stepInEpoch: 3, globalStep: 23))
    #expect(order(trainer.currentSampler(), epoch: 2, steps: 10) == expected(2))
    #expect(expected(2) != expected(0))
    trainer.resume(at: TrainingPosition(epoch: 0))
    #expect(order(trainer.currentSampler(), epoch: 0, steps: 10) == expected(0))
}

@Test("a steps job's trainer draws with the step sampler of its seed, batch, ranks and micro-steps")
func stepsJobHasItsStepSampler() throws {
    let job = tinyJob(steps: 7)
    let trainer = try Trainer(job: job, data: splits(), collectives: .singleRank())
    let sampler = try #require(trainer.stepSampler)
    let reference = StepSampler(sampleCount: 100, globalBatch: 10, ranks: 1, accumulate: 2, seed: job.seed)
    #expect(order(sampler, epoch: 0, steps: 7) == order(reference, epoch: 0, steps: 7))
}
