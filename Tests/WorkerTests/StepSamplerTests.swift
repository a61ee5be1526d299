// StepSampler tests: N ranks (with micro-steps) draw exactly one rank's batch, a resume at any
// step draws the same, and draws cover the split uniformly with replacement.
import Testing
@testable import Worker
import Model

/// Every (micro-step, rank) part of `step` drawn by `sampler`, concatenated in rank-major order.
private func union(_ sampler: StepSampler, step: Int) -> [Int] {
    var all: [Int] = [], part: [Int] = []
    for micro in 0..<sampler.accumulate {
        for rank in 0..<sampler.ranks {
            sampler.indices(at: TrainingPosition(globalStep: step), microStep: micro, rank: rank, into: &part)
            #expect(part.count == sampler.localBatch)
            all += part
        }
    }
    return all
}

@Test("N ranks with accumulate together draw exactly the 1-rank batch of every step",
      arguments: [(1, 1), (2, 1), (3, 1), (1, 2), (2, 2), (3, 4)])
func stepSamplerRanksPartition(ranks: Int, accumulate: Int) {
    let single = StepSampler(sampleCount: 997, globalBatch: 24, ranks: 1, accumulate: 1, seed: 5)
    let split = StepSampler(sampleCount: 997, globalBatch: 24, ranks: ranks, accumulate: accumulate, seed: 5)
    var reference: [Int] = []
    for step in [0, 1, 7, 123_456] {
        single.indices(step: step, microStep: 0, rank: 0, into: &reference)
        #expect(reference == (0..<24).map { single.sample(step: step, place: $0) })
        #expect(union(split, step: step).sorted() == reference.sorted())
        // The documented places: rank r's i-th sample of micro-step m is place m·B/K + i·N + r,
        // so each micro-step's ranks together hold one contiguous block of the global batch.
        var part: [Int] = []
        for micro in 0..<accumulate {
            for rank in 0..<ranks {
                split.indices(step: step, microStep: micro, rank: rank, into: &part)
                #expect(part == (0..<split.localBatch).map { reference[micro * 24 / accumulate + $0 * ranks + rank] })
            }
        }
    }
}

@Test("the batch of a step depends only on (seed, step): a resumed sampler draws the same")
func stepSamplerResumes() {
    let first = StepSampler(sampleCount: 500, globalBatch: 16, ranks: 2, accumulate: 2, seed: 9)
    let resumed = StepSampler(sampleCount: 500, globalBatch: 16, ranks: 2, accumulate: 2, seed: 9)
    let run = (0..<40).map { union(first, step: $0) }
    // A fresh sampler asked from step 25 on, as after a resume, repeats the uninterrupted draws.
    #expect((25..<40).map { union(resumed, step: $0) } == Array(run[25...]))
    #expect(run[3] != run[4])
    let otherSeed = StepSampler(sampleCount: 500, globalBatch: 16, ranks: 2, accumulate: 2, seed: 10)
    #expect(union(otherSeed, step: 3) != run[3])
}

@Test("draws stay in the split, repeat (with replacement) and cover it evenly")
func stepSamplerIsUniform() {
    let sampler = StepSampler(sampleCount: 10, globalBatch: 50, ranks: 1, accumulate: 1, seed: 1)
    var counts = [Int](repeating: 0, count: 10), part: [Int] = []
    for step in 0..<200 {
        sampler.indices(step: step, microStep: 0, rank: 0, into: &part)
        #expect(part.allSatisfy { (0..<10).contains($0) })
        for i in part { counts[i] += 1 }
    }
    // 10,000 draws, 1,000 expected per sample; 6 standard deviations (about 95) either side.
    #expect(counts.allSatisfy { abs($0 - 1000) < 200 }, "counts \(counts)")
    sampler.indices(step: 0, microStep: 0, rank: 0, into: &part)
    #expect(Set(part).count < part.count)
}
