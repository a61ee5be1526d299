// Trainer tests on real data and real OpenBLAS: loss falls on a Fashion-MNIST subset, runs are
// reproducible bit for bit, and gradient accumulation matches one big batch.
import Foundation
import Testing
@testable import Worker
import Model
import Collective

private let fashionDirectory = "/usr/share/datasets/fashion-mnist"
private let haveFashion = FileManager.default.fileExists(atPath: fashionDirectory + "/train-labels-idx1-ubyte.gz")

private func job(subset: Int, epochs: Int, batch: Int = 64, model: ModelSpec = ModelSpec(kind: .mlp, hidden: [64])) -> TrainingJob {
    var job = TrainingJob(dataset: .fashionMNIST(directory: fashionDirectory))
    job.dataset.subset = subset
    job.dataset.validation = .count(subset / 5)
    job.model = model
    job.batchSize = batch
    job.epochs = epochs
    job.seed = 11
    return job
}

@Test("training on a Fashion-MNIST subset lowers the loss and beats chance",
      .enabled(if: haveFashion, "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)"))
func lossFalls() throws {
    let j = job(subset: 3000, epochs: 3)
    let data = try DatasetLoader.load(j.dataset, seed: j.seed)
    let trainer = try Trainer(job: j, data: data, group: SingleProcessGroup())
    var reports: [EpochReport] = []
    try trainer.train { reports.append($0) }
    #expect(reports.count == 3)
    #expect(reports[2].loss < reports[0].loss * 0.8, "losses \(reports.map(\.loss))")
    let test = try trainer.evaluate(data.test!)
    #expect(test.count == 10000)
    #expect(try #require(test.accuracy) > 0.6)
    #expect(try #require(reports[2].validationAccuracy) > 0.6)
}

private func finalParameters(_ j: TrainingJob) throws -> [Float] {
    let data = try DatasetLoader.load(j.dataset, seed: j.seed)
    let trainer = try Trainer(job: j, data: data, group: SingleProcessGroup())
    try trainer.train { _ in }
    return trainer.network.store.parameters.array
}

@Test("the same job gives bit-identical parameters, dropout included",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"))
func reproducible() throws {
    let j = job(subset: 1000, epochs: 1, model: ModelSpec(kind: .mlp, hidden: [32], dropout: 0.3))
    #expect(try finalParameters(j) == finalParameters(j))
    var other = j
    other.seed = 12
    #expect(try finalParameters(j) != finalParameters(other))
}

@Test("accumulating 4 micro-batches equals one batch of the same global size",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"))
func accumulationMatchesBigBatch() throws {
    let whole = job(subset: 1000, epochs: 1)
    var micro = whole
    micro.accumulate = 4
    let a = try finalParameters(whole), b = try finalParameters(micro)
    let worst = zip(a, b).map { abs($0 - $1) / max(abs($0), 1e-3) }.max() ?? 0
    #expect(worst < 1e-3, "largest relative difference \(worst)")
}

/// Trains 12 steps on `ranks` in-process ranks through the ring and returns rank 0's
/// parameters, after checking every rank holds the same ones.
private func dataParallelParameters(_ j: TrainingJob, ranks: Int) throws -> [Float] {
    let results = try InProcessCommunicator.run(size: ranks) { comm in
        let data = try DatasetLoader.load(j.dataset, seed: j.seed)
        let trainer = try Trainer(job: j, data: data, group: CollectiveProcessGroup(Collectives(comm)))
        var none: ClassificationMetrics? = nil
        for _ in 0..<12 { _ = try trainer.step(trainer.currentSampler(), metrics: &none) }
        return trainer.network.store.parameters.array
    }
    for rank in 1..<ranks { #expect(results[rank] == results[0], "rank \(rank) differs from rank 0") }
    return results[0]
}

@Test("overlapping the gradient average with backward matches the one-call path",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"), arguments: [2, 3])
func overlapMatchesOneCall(ranks: Int) throws {
    var plain = job(subset: 600, epochs: 1, batch: 48, model: ModelSpec(kind: .mlp, hidden: [64, 32]))
    plain.ranks = ranks
    var overlapped = plain
    overlapped.overlap = true
    overlapped.bucketBytes = 4   // one bucket per layer
    let a = try dataParallelParameters(plain, ranks: ranks)
    let b = try dataParallelParameters(overlapped, ranks: ranks)
    #expect(a != (try initialParameters(plain)), "the parameters moved")
    if ranks == 2 {
        #expect(a == b, "with 2 ranks every element is the same single sum")
    } else {
        let worst = zip(a, b).map { abs($0 - $1) / max(abs($0), 1e-3) }.max() ?? 0
        #expect(worst < 1e-5, "largest relative difference \(worst)")
    }
}

private func initialParameters(_ j: TrainingJob) throws -> [Float] {
    let data = try DatasetLoader.load(j.dataset, seed: j.seed)
    return try Trainer(job: j, data: data, group: SingleProcessGroup()).network.store.parameters.array
}
