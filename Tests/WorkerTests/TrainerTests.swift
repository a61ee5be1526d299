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

@Test("with 2 ranks overlapping the gradient average with backward gives the one-call path's bits, step after step",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"))
func overlapMatchesOneCallWithTwoRanks() throws {
    var plain = job(subset: 600, epochs: 1, batch: 48, model: ModelSpec(kind: .mlp, hidden: [64, 32]))
    plain.ranks = 2
    plain.shardedUpdate = false
    var overlapped = plain
    overlapped.overlap = true
    overlapped.bucketBytes = 4   // one bucket per layer
    let a = try dataParallelParameters(plain, ranks: 2)
    #expect(a != (try initialParameters(plain)), "the parameters moved")
    #expect(a == (try dataParallelParameters(overlapped, ranks: 2)), "every element is the same single sum a + b")
}

/// One step's gradients in an in-process group of `ranks`: what each rank computed (`local`, from
/// a run without the exchange) and what the exchange of `averaging` left each rank (`averaged`,
/// valid in `shard`).
private func exchangedGradients(_ j: TrainingJob, ranks: Int, averaging: GradientAveraging)
    throws -> [(local: [Float], averaged: [Float], shard: Range<Int>)] {
    var job = j
    job.ranks = ranks
    job.shardedUpdate = averaging == .sharded
    job.overlap = averaging == .overlap
    job.bucketBytes = 4   // one bucket per layer: the most rings, each cut differently from one call's
    return try InProcessCommunicator.run(size: ranks) { [job] comm in
        let data = try DatasetLoader.load(job.dataset, seed: job.seed)
        var none: ClassificationMetrics? = nil
        var reference = job
        reference.overlap = false   // no buckets leave during this backward
        let local = try Trainer(job: reference, data: data, collectives: Collectives(comm))
        _ = local.microSteps(local.currentSampler(), metrics: &none)
        let trainer = try Trainer(job: job, data: data, collectives: Collectives(comm))
        _ = trainer.microSteps(trainer.currentSampler(), metrics: &none)
        var shard = 0..<0
        #expect(trainer.exchange.averaging == averaging)
        _ = try trainer.exchange.exchange { shard = $0.shard }
        return (local.network.store.gradients.array, trainer.network.store.gradients.array, shard)
    }
}

@Test("every way of averaging gives each rank the exact mean of the ranks' gradients within float rounding, and with 2 ranks the same bits",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"),
      arguments: [2, 3, 4], GradientAveraging.allCases)
func averagedGradientsAreTheMean(ranks: Int, averaging: GradientAveraging) throws {
    let j = job(subset: 600, epochs: 1, batch: 48, model: ModelSpec(kind: .mlp, hidden: [64, 32]))
    let results = try exchangedGradients(j, ranks: ranks, averaging: averaging)
    let locals = results.map(\.local)
    #expect(Set(locals.map { $0.count }).count == 1)
    #expect(locals[0] != locals[1], "the ranks computed different gradients")
    var covered = 0
    for (rank, result) in results.enumerated() {
        let bad = RoundingBound.violations(averaged: result.averaged[result.shard], of: locals)
        #expect(bad.count == 0, "rank \(rank): \(bad.count) elements off the mean, first \(bad.first.map { "#\($0.index): \($0.distance) > \($0.bound)" } ?? "")")
        covered += result.shard.count
    }
    #expect(covered == locals[0].count * (averaging == .sharded ? 1 : ranks), "the shards tile the gradients")
    if ranks == 2 {
        // a + b is one rounding in any order: every path, every rank, the same bits.
        let oneCall = try exchangedGradients(j, ranks: 2, averaging: .oneCall)[0].averaged
        for result in results { #expect(result.averaged[result.shard] == oneCall[result.shard]) }
    }
}

private func initialParameters(_ j: TrainingJob) throws -> [Float] {
    let data = try DatasetLoader.load(j.dataset, seed: j.seed)
    return try Trainer(job: j, data: data, collectives: .singleRank()).network.store.parameters.array
}

/// Like `dataParallelParameters`, also returning the whole optimizer state rank 0 saves after
/// the run (every rank's shard gathered) and each rank's share of the state's elements.
private func dataParallelState(_ j: TrainingJob, ranks: Int) throws -> (parameters: [Float], state: [String: [Float]], kept: [Int]) {
    let results = try InProcessCommunicator.run(size: ranks) { comm in
        let data = try DatasetLoader.load(j.dataset, seed: j.seed)
        let trainer = try Trainer(job: j, data: data, collectives: Collectives(comm))
        var none: ClassificationMetrics? = nil
        for _ in 0..<12 { _ = try trainer.step(trainer.currentSampler(), metrics: &none) }
        let saved = try trainer.optimizerStateForCheckpoint()
        #expect(saved.isEmpty == (comm.rank != 0), "only rank 0 gets the whole state")
        return (trainer.network.store.parameters.array, Dictionary(uniqueKeysWithValues: saved.map { ($0.name, $0.values) }),
                trainer.optimizer.stateRange.count)
    }
    for rank in 1..<ranks {
        #expect(results[rank].0 == results[0].0, "rank \(rank) parameters differ from rank 0")
    }
    return (results[0].0, results[0].1, results.map(\.2))
}

@Test("a sharded update gives the same parameters and optimizer state as every rank updating everything, bit for bit",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"),
      arguments: [(2, OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.9)),
                  (3, OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4)),
                  (3, OptimizerSpec(kind: .adamw, learningRate: 0.003, weightDecay: 0.01)),
                  (2, OptimizerSpec(kind: .adam, learningRate: 0.003, clipNorm: 0.5)),
                  (3, OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.9, clipNorm: 0.5))])
func shardedUpdateMatchesFullUpdate(ranks: Int, optimizer: OptimizerSpec) throws {
    var full = job(subset: 600, epochs: 1, batch: 48, model: ModelSpec(kind: .mlp, hidden: [64, 32]))
    full.ranks = ranks
    full.optimizer = optimizer
    full.shardedUpdate = false
    var sharded = full
    sharded.shardedUpdate = true
    let a = try dataParallelState(full, ranks: ranks)
    let b = try dataParallelState(sharded, ranks: ranks)
    // The reduce-scatter is the all-reduce's first half over the same cut, and clipping sums the
    // norm shard by shard on both paths: the same bits at any rank count.
    let sameParameters = a.parameters == b.parameters, sameState = a.state == b.state
    #expect(sameParameters, "parameters differ")
    #expect(sameState, "optimizer state differs")
    #expect(!a.state.isEmpty)
    // Each rank keeps state only for its shard: together the shards hold the parameters once.
    let parameters = a.parameters.count
    #expect(a.kept == Array(repeating: parameters, count: ranks))
    #expect(b.kept.reduce(0, +) == parameters && b.kept.allSatisfy { $0 <= parameters / ranks + 1 }, "\(b.kept) of \(parameters)")
}


@Test("optimizer state that is not finite is named, as a checkpoint of it must not be written",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"))
func nonFiniteOptimizerStateIsFound() throws {
    var j = job(subset: 300, epochs: 1)
    j.optimizer = OptimizerSpec(kind: .adam, learningRate: 0.001)
    let trainer = try Trainer(job: j, data: DatasetLoader.load(j.dataset, seed: j.seed), collectives: .singleRank())
    #expect(try trainer.firstNonFiniteOptimizerTensor() == nil)
    var tensors = Dictionary(uniqueKeysWithValues: trainer.optimizer.stateTensors().map { ($0.name, $0.values) })
    let name = try #require(tensors.keys.sorted().last)
    tensors[name]![7] = .infinity   // Adam's squared gradients overflow while the weights stay finite
    try trainer.optimizer.restoreState(tensors: tensors, stepCount: 1)
    #expect(try trainer.firstNonFiniteOptimizerTensor() == "optimizer." + name)
}

@Test("leaving the sharded update through useAveraging makes every rank's optimizer state whole and equal; going back keeps each rank's shard of it",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"))
func leavingShardedUpdateMakesStateWhole() throws {
    var j = job(subset: 600, epochs: 1, batch: 48)
    j.ranks = 2
    j.optimizer = OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.9)
    j.shardedUpdate = true
    let states = try InProcessCommunicator.run(size: 2) { [j] comm in
        let trainer = try Trainer(job: j, data: DatasetLoader.load(j.dataset, seed: j.seed), collectives: Collectives(comm))
        var none: ClassificationMetrics? = nil
        _ = try trainer.step(trainer.currentSampler(), metrics: &none)
        let shard = trainer.optimizer.stateRange
        #expect(shard == trainer.exchange.updatedElements(averaging: .sharded) && shard.count < trainer.network.store.count)
        let shardOnly = trainer.optimizer.stateTensors().map(\.values)
        try trainer.useAveraging(.oneCall)
        #expect(trainer.exchange.averaging == .oneCall)
        let whole = trainer.optimizer.stateTensors().map(\.values)
        #expect(trainer.optimizer.stateRange == 0..<trainer.network.store.count)
        #expect(whole.map { Array($0[shard]) } == shardOnly, "the gathered state holds this rank's shard as it was")
        try trainer.useAveraging(.sharded)
        #expect(trainer.optimizer.stateRange == shard)
        #expect(trainer.optimizer.stateTensors().map(\.values) == shardOnly)
        return (shardOnly, whole)
    }
    #expect(states[0].0 != states[1].0, "each rank kept only its own shard")
    #expect(states[0].1 == states[1].1 && !states[0].1.isEmpty)
}
