// EpochSampler tests: DistributedSampler semantics — a seeded permutation per epoch, ranks
// taking interleaved positions, every rank the same number of steps, tails dropped or padded.
import Testing
@testable import Worker
import Model

@Test("N ranks together see exactly the 1-rank batch at every step", arguments: [1, 2, 3, 4])
func ranksPartitionTheGlobalBatch(ranks: Int) {
    let single = EpochSampler(sampleCount: 1000, globalBatch: 24, ranks: 1, accumulate: 1, tail: .drop, seed: 5, epoch: 2)
    let split = EpochSampler(sampleCount: 1000, globalBatch: 24, ranks: ranks, accumulate: 1, tail: .drop, seed: 5, epoch: 2)
    #expect(split.stepsPerEpoch == single.stepsPerEpoch)
    var reference: [Int] = [], part: [Int] = []
    for step in 0..<single.stepsPerEpoch {
        single.indices(step: step, microStep: 0, rank: 0, into: &reference)
        var union: [Int] = []
        for rank in 0..<ranks {
            split.indices(step: step, microStep: 0, rank: rank, into: &part)
            #expect(part.count == 24 / ranks)
            union += part
        }
        #expect(union.sorted() == reference.sorted())
    }
}

@Test("an epoch visits each sample at most once; tail policy decides the rest")
func tailPolicies() {
    let drop = EpochSampler(sampleCount: 103, globalBatch: 10, ranks: 2, accumulate: 1, tail: .drop, seed: 1, epoch: 0)
    let pad = EpochSampler(sampleCount: 103, globalBatch: 10, ranks: 2, accumulate: 1, tail: .pad, seed: 1, epoch: 0)
    #expect(drop.stepsPerEpoch == 10)
    #expect(pad.stepsPerEpoch == 11)
    var seen: [Int] = [], part: [Int] = []
    for step in 0..<drop.stepsPerEpoch {
        for rank in 0..<2 { drop.indices(step: step, microStep: 0, rank: rank, into: &part); seen += part }
    }
    #expect(Set(seen).count == 100)
    seen = []
    for step in 0..<pad.stepsPerEpoch {
        for rank in 0..<2 { pad.indices(step: step, microStep: 0, rank: rank, into: &part); seen += part }
    }
    #expect(Set(seen).count == 103)
    #expect(seen.count == 110)
}

@Test("epochs get different orders; the same epoch always the same order")
func ordersPerEpoch() {
    var a: [Int] = [], b: [Int] = [], c: [Int] = []
    EpochSampler(sampleCount: 500, globalBatch: 50, ranks: 1, accumulate: 1, tail: .drop, seed: 3, epoch: 0).indices(step: 0, microStep: 0, rank: 0, into: &a)
    EpochSampler(sampleCount: 500, globalBatch: 50, ranks: 1, accumulate: 1, tail: .drop, seed: 3, epoch: 0).indices(step: 0, microStep: 0, rank: 0, into: &b)
    EpochSampler(sampleCount: 500, globalBatch: 50, ranks: 1, accumulate: 1, tail: .drop, seed: 3, epoch: 1).indices(step: 0, microStep: 0, rank: 0, into: &c)
    #expect(a == b)
    #expect(a != c)
}

@Test("micro-steps split the global batch")
func microSteps() {
    let whole = EpochSampler(sampleCount: 200, globalBatch: 20, ranks: 1, accumulate: 1, tail: .drop, seed: 4, epoch: 0)
    let micro = EpochSampler(sampleCount: 200, globalBatch: 20, ranks: 2, accumulate: 2, tail: .drop, seed: 4, epoch: 0)
    var reference: [Int] = [], part: [Int] = [], union: [Int] = []
    whole.indices(step: 3, microStep: 0, rank: 0, into: &reference)
    for m in 0..<2 { for r in 0..<2 { micro.indices(step: 3, microStep: m, rank: r, into: &part); union += part } }
    #expect(union.sorted() == reference.sorted())
}
