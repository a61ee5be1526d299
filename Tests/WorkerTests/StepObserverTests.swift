// StepObserverTests: a step observer is told of every phase of a step in order (for each way of
// averaging), of a step that fails with its open phases, and training watched by one gives bit
// for bit what training without one gives.
import Foundation
import Testing
@testable import Worker
import Model
import Collective

private let fashionDirectory = "/usr/share/datasets/fashion-mnist"
private let haveFashion = FileManager.default.fileExists(atPath: fashionDirectory + "/train-labels-idx1-ubyte.gz")

/// What an observer was told, in order.
private enum Event: Sendable, Equatable {
    case step(Int), began(StepPhase), ended(StepPhase), stepEnded(Int), stepFailed(Int)
}

/// True when `events` balance: each step ends or fails once, and every phase begun in a step is
/// ended (innermost first) before the step ends, or is still open when it fails.
private func balanced(_ events: [Event]) -> Bool {
    var open: [StepPhase] = [], inStep = false
    for event in events {
        switch event {
        case .step:
            guard !inStep && open.isEmpty else { return false }
            inStep = true
        case .began(let phase): open.append(phase)
        case .ended(let phase):
            guard open.last == phase else { return false }
            open.removeLast()
        case .stepEnded:
            guard inStep && open.isEmpty else { return false }
            inStep = false
        case .stepFailed:
            guard inStep else { return false }
            (inStep, open) = (false, [])
        }
    }
    return !inStep && open.isEmpty
}

/// Records every call in order.
private final class EventLog: StepObserver {
    var events: [Event] = []
    func stepBegan(at position: TrainingPosition) { events.append(.step(position.globalStep)) }
    func phaseBegan(_ phase: StepPhase) { events.append(.began(phase)) }
    func phaseEnded(_ phase: StepPhase) { events.append(.ended(phase)) }
    func stepEnded(at position: TrainingPosition, loss: Double) { events.append(.stepEnded(position.globalStep)) }
    func stepFailed(at position: TrainingPosition, error: any Error) { events.append(.stepFailed(position.globalStep)) }
}

/// A small Fashion-MNIST job: SGD with momentum, gradients clipped, two micro-steps per step.
private func smallJob(ranks: Int, averaging: GradientAveraging) -> TrainingJob {
    var job = TrainingJob(dataset: .fashionMNIST(directory: fashionDirectory))
    job.dataset.subset = 600
    job.dataset.validation = .count(120)
    job.model = ModelSpec(kind: .mlp, hidden: [16])
    job.optimizer = OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.9, clipNorm: 1)
    job.batchSize = 48
    job.accumulate = 2
    job.epochs = 1
    job.ranks = ranks
    job.seed = 5
    job.overlap = averaging == .overlap
    job.shardedUpdate = averaging == .sharded
    return job
}

@Test("the observer is told of each phase of a step in order, on every rank, for each way of averaging",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"), arguments: GradientAveraging.allCases)
func observerSeesEveryPhaseInOrder(averaging: GradientAveraging) throws {
    let job = smallJob(ranks: 2, averaging: averaging)
    let results = try InProcessCommunicator.run(size: 2) { [job] comm in
        let data = try DatasetLoader.load(job.dataset, seed: job.seed)
        let trainer = try Trainer(job: job, data: data, collectives: Collectives(comm))
        let log = EventLog()
        trainer.observer = log
        var none: ClassificationMetrics? = nil
        _ = try trainer.step(trainer.currentSampler(), metrics: &none)
        return (log.events, trainer.network.store.count, trainer.network.layers.count)
    }
    for (rank, (events, parameters, layers)) in results.enumerated() {
        let bytes = (parameters + 1) * 4   // the gradients and the control element, fp32
        var expected: [Event] = [.step(0)] + microStepEvents(2, layers: layers)
        expected.append(.began(.exchange))
        let updates: [Event] = [.began(.clip), .ended(.clip), .began(.update), .ended(.update)]
        // With 2 ranks in fp32, an all-reduce sends the payload once (the ring half of it twice), a
        // reduce-scatter or all-gather half of it.
        switch averaging {
        case .oneCall, .overlap:
            let phase = StepPhase.allReduce(bytes: bytes, wireBytes: bytes)
            expected += [.began(phase), .ended(phase)] + updates
        case .sharded:
            let scatter = StepPhase.reduceScatter(bytes: bytes, wireBytes: bytes / 2), gather = StepPhase.allGather(bytes: bytes, wireBytes: bytes / 2)
            expected += [.began(scatter), .ended(scatter), .began(.normSum), .ended(.normSum)] + updates + [.began(gather), .ended(gather)]
        }
        expected += [.ended(.exchange), .began(.finiteCheck), .ended(.finiteCheck), .stepEnded(1)]
        #expect(events == expected, "rank \(rank)")
        #expect(balanced(events))
    }
}

/// Micro-step phases of `count` micro-steps, each begun and ended; backward encloses one phase
/// per layer of `layers`, last layer first.
private func microStepEvents(_ count: Int, layers: Int) -> [Event] {
    (0..<count).flatMap { micro -> [Event] in
        let backward = StepPhase.backward(microStep: micro)
        let perLayer = (0..<layers).reversed().flatMap { [Event.began(.backwardLayer(index: $0)), .ended(.backwardLayer(index: $0))] }
        return [StepPhase.gather(microStep: micro), .forward(microStep: micro)].flatMap { [Event.began($0), .ended($0)] }
            + [.began(backward)] + perLayer + [.ended(backward)]
    }
}

/// A non-finite loss (a NaN weight) with `on_nonfinite: stop`: the step throws from its finite
/// check, with every phase ended; one rank sends nothing, so no all-reduce is reported.
@Test("a diverging step on one rank is told as stepBegan, its phases without an all-reduce, then stepFailed",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"))
func divergingStepEndsInStepFailed() throws {
    let job = smallJob(ranks: 1, averaging: .oneCall)
    #expect(job.onNonFinite == .stop)
    let data = try DatasetLoader.load(job.dataset, seed: job.seed)
    let trainer = try Trainer(job: job, data: data, collectives: .singleRank())
    let log = EventLog()
    trainer.observer = log
    trainer.network.store.parameters.buffer[0] = .nan
    var none: ClassificationMetrics? = nil
    #expect(throws: DivergenceError.self) { _ = try trainer.step(trainer.currentSampler(), metrics: &none) }
    let updates: [Event] = [.began(.clip), .ended(.clip), .began(.update), .ended(.update)]
    #expect(log.events == [.step(0)] + microStepEvents(2, layers: trainer.network.layers.count) + [.began(.exchange)] + updates
            + [.ended(.exchange), .began(.finiteCheck), .ended(.finiteCheck), .stepFailed(0)])
    #expect(balanced(log.events))
}

/// Rank 1 fails once rank 0 has started its all-reduce: rank 0's step throws from inside the
/// `exchange` and `allReduce` phases, which `stepFailed` closes; no end follows.
@Test("a peer failing during the all-reduce ends the step in stepFailed with the exchange and all-reduce still open",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"))
func peerFailureEndsInStepFailed() throws {
    struct Injected: Error {}
    /// Records like `EventLog` and signals when the all-reduce starts.
    final class Signalling: StepObserver {
        let log = EventLog(), started: DispatchSemaphore
        init(_ started: DispatchSemaphore) { self.started = started }
        func stepBegan(at position: TrainingPosition) { log.stepBegan(at: position) }
        func phaseBegan(_ phase: StepPhase) {
            log.phaseBegan(phase)
            if case .allReduce = phase { started.signal() }
        }
        func phaseEnded(_ phase: StepPhase) { log.phaseEnded(phase) }
        func stepFailed(at position: TrainingPosition, error: any Error) { log.stepFailed(at: position, error: error) }
    }
    let job = smallJob(ranks: 2, averaging: .oneCall)
    let started = DispatchSemaphore(value: 0)
    /// Rank 0's events and gradient payload, read once every rank's thread has finished.
    final class Seen: @unchecked Sendable { var events: [Event] = [], bytes = 0, layers = 0 }
    let seen = Seen()
    #expect(throws: Injected.self) {
        _ = try InProcessCommunicator.run(size: 2) { [job] comm in
            let data = try DatasetLoader.load(job.dataset, seed: job.seed)
            let trainer = try Trainer(job: job, data: data, collectives: Collectives(comm))
            guard comm.rank == 0 else {
                started.wait()
                throw Injected()
            }
            let observer = Signalling(started)
            trainer.observer = observer
            var none: ClassificationMetrics? = nil
            defer { (seen.events, seen.bytes, seen.layers) = (observer.log.events, (trainer.network.store.count + 1) * 4, trainer.network.layers.count) }
            _ = try trainer.step(trainer.currentSampler(), metrics: &none)
        }
    }
    let (events, bytes) = (seen.events, seen.bytes)
    #expect(events == [.step(0)] + microStepEvents(2, layers: seen.layers)
            + [.began(.exchange), .began(.allReduce(bytes: bytes, wireBytes: bytes)), .stepFailed(0)])
    #expect(balanced(events))
}

/// Watched by a recording observer, or by the benchmarks' phase timing.
@Test("training watched by an observer gives bit-identical parameters and losses to training without one",
      .enabled(if: haveFashion, "Fashion-MNIST not installed"), arguments: [false, true])
func observedTrainingIsIdentical(timingPhases: Bool) throws {
    func train(_ observer: (any StepObserver)?) throws -> (parameters: [Float], losses: [Double]) {
        let job = smallJob(ranks: 1, averaging: .oneCall)
        let data = try DatasetLoader.load(job.dataset, seed: job.seed)
        let trainer = try Trainer(job: job, data: data, collectives: .singleRank())
        trainer.observer = observer
        var losses: [Double] = []
        try trainer.train { losses.append($0.loss) }
        return (trainer.network.store.parameters.array, losses)
    }
    let plain = try train(nil)
    let log = EventLog(), times = StepPhaseTimes()
    let watched = try train(timingPhases ? times as any StepObserver : log)
    #expect(watched.parameters == plain.parameters)
    #expect(watched.losses == plain.losses)
    let steps = (600 - 120) / 48
    if !timingPhases {
        #expect(log.events.filter { if case .stepEnded = $0 { true } else { false } }.count == steps)
        #expect(log.events.filter { $0 == .began(.evaluation) }.count == 1, "one epoch, one validation")
    } else {
        #expect(times.steps == steps)
    }
}
