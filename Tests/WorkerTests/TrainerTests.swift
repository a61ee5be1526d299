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
    let trainer = try Trainer(job: j, data: data, collectives: .singleRank())
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
    let trainer = try Trainer(job: j, data: data, collectives: .singleRank())
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
        let trainer = try Trainer(job: j, data: data, collectives: Collectives(comm))
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
    plain.shardedUpdate = false
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
    return try Trainer(job: j, data: data, collectives: .singleRank()).network.store.parameters.array
}

/// Like `dataParallelParameters`, also returning rank 0's optimizer state after the run
/// (gathered first, as before a checkpoint).
private func dataParallelState(_ j: TrainingJob, ranks: Int) throws -> (parameters: [Float], state: [String: [Float]]) {
    let results = try InProcessCommunicator.run(size: ranks) { comm in
        let data = try DatasetLoader.load(j.dataset, seed: j.seed)
        let trainer = try Trainer(job: j, data: data, collectives: Collectives(comm))
        var none: ClassificationMetrics? = nil
        for _ in 0..<12 { _ = try trainer.step(trainer.currentSampler(), metrics: &none) }
        try trainer.synchronizeOptimizerState()
        let state = Dictionary(uniqueKeysWithValues: trainer.optimizer.stateTensors().map { ($0.name, $0.values) })
        return (trainer.network.store.parameters.array, state)
    }
    for rank in 1..<ranks {
        #expect(results[rank].0 == results[0].0, "rank \(rank) parameters differ from rank 0")
        #expect(results[rank].1 == results[0].1, "rank \(rank) optimizer state differs from rank 0")
    }
    return results[0]
}

@Test("a sharded update gives the same parameters and optimizer state as every rank updating everything",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"),
      arguments: [(2, OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.9)),
                  (3, OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4)),
                  (3, OptimizerSpec(kind: .adamw, learningRate: 0.003, weightDecay: 0.01)),
                  (2, OptimizerSpec(kind: .adam, learningRate: 0.003, clipNorm: 0.5))])
func shardedUpdateMatchesFullUpdate(ranks: Int, optimizer: OptimizerSpec) throws {
    var full = job(subset: 600, epochs: 1, batch: 48, model: ModelSpec(kind: .mlp, hidden: [64, 32]))
    full.ranks = ranks
    full.optimizer = optimizer
    full.shardedUpdate = false
    var sharded = full
    sharded.shardedUpdate = true
    let a = try dataParallelState(full, ranks: ranks)
    let b = try dataParallelState(sharded, ranks: ranks)
    if ranks == 2 && optimizer.clipNorm == nil {
        // Two ranks: every element is the same single sum either way.
        let sameParameters = a.parameters == b.parameters, sameState = a.state == b.state
        #expect(sameParameters, "parameters differ")
        #expect(sameState, "optimizer state differs")
    } else {
        // More ranks group the sums differently (the reduce-scatter leaves out the control
        // element), and clipping sums the norm from per-shard parts: equal within rounding.
        let worst = zip(a.parameters, b.parameters).map { abs($0 - $1) / max(abs($0), 1e-3) }.max() ?? 0
        #expect(worst < 1e-5, "largest relative difference \(worst)")
        for (name, values) in a.state {
            let other = b.state[name] ?? []
            let worstState = zip(values, other).map { abs($0 - $1) / max(abs($0), 1e-3) }.max() ?? 1
            #expect(other.count == values.count && worstState < 1e-4, "state \(name): largest relative difference \(worstState)")
        }
    }
    #expect(!a.state.isEmpty)
}
