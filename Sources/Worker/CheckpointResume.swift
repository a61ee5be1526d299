// CheckpointResume: continuing a run from its newest valid checkpoint — rank 0 loads and
// verifies it, then parameters, optimizer state and position are broadcast to every rank.
import Collective
import Foundation
import Logging
import Model

extension TrainingSession {
    /// Restores `trainer` from the newest checkpoint in `store` that verifies. Throws (on every
    /// rank) when none does; a changed model shape is refused, other config changes are noted.
    func resume(_ trainer: Trainer, from store: CheckpointStore, directory: String) throws {
        var loaded: LoadedCheckpoint?
        var failure: Error?
        var point: ResumePoint?
        if collectives.rank == 0 {
            do {
                let bounds = CheckpointState.Bounds(epochs: job.epochs, stepsPerEpoch: trainer.stepsPerEpoch,
                                                    trainSamples: trainer.data.train.count, steps: job.steps,
                                                    configHash: configHash)
                let found = try store.loadNewestValid(layout: trainer.network.store.entries, buffers: trainer.network.buffers,
                                                      configHash: configHash,
                                                      acceptConfigChange: true, bounds: bounds)
                let reset = try Self.checkOptimizerTensors(found, expected: trainer.optimizer.stateNames,
                                                           optimizer: job.optimizer.kind.rawValue,
                                                           reset: options.resetOptimizer, directory: directory)
                for name in trainer.optimizer.stateNames where !reset {
                    let count = found.optimizerTensors[name]?.count ?? 0
                    guard count == trainer.network.store.count else {
                        throw TrainingError("\(directory)/\(found.name)/\(CheckpointStore.optimizerFile): optimizer tensor \(name) has \(count) values, "
                                            + "the model \(trainer.network.store.count) parameters")
                    }
                }
                loaded = found
                point = ResumePoint(state: found.state, optimizerStepCount: reset ? 0 : found.optimizerStepCount, resetOptimizer: reset)
            } catch {
                failure = error
            }
        }
        // Rank 0's checkpoint state crosses to every rank as it was loaded (and range-checked);
        // no bytes say that rank 0 could not load one.
        var sent: [UInt8] = []
        do { sent = try point?.encoded() ?? [] } catch { failure = error }
        let message = try collectives.broadcast(sent, root: 0)
        guard !message.isEmpty else {
            if let failure { throw Self.resumeError(failure, directory: directory) }
            throw TrainingError("rank 0 could not load a checkpoint (see its message)")
        }
        let agreed = try point ?? ResumePoint.decode(message)
        if let loaded { loaded.copyParameters(into: trainer.network.store) }
        try collectives.broadcast(trainer.network.store.parameters.buffer, root: 0)
        try restoreBuffers(trainer.network.buffers, from: loaded)

        // Optimizer state: rank 0's tensors; each rank receives the part its state keeps.
        if agreed.resetOptimizer {
            let zeros = Dictionary(uniqueKeysWithValues: trainer.optimizer.stateNames.map {
                ($0, [Float](repeating: 0, count: trainer.optimizer.stateRange.count))
            })
            try trainer.optimizer.restoreState(tensors: zeros, stepCount: 0)
        } else {
            try trainer.restoreOptimizerState(from: loaded?.optimizerTensors ?? [:], stepCount: agreed.optimizerStepCount)
        }
        trainer.resume(at: agreed.state.position, skippedSteps: agreed.state.skippedSteps,
                       window: loaded?.state.reportWindow)   // rank 0 only: sums stay right

        if let loaded {
            resumedMetrics = loaded.state.metrics
            // The same config at the same steps per epoch keeps its start; any change starts anew here.
            let start = loaded.state.configStart
            configStart = loaded.state.configHash == configHash && start?.stepsPerEpoch == trainer.stepsPerEpoch
                ? start : ConfigStart(at: loaded.state.position, stepsPerEpoch: trainer.stepsPerEpoch)
            for skipped in loaded.skipped { Log.logger.warning("skipped checkpoint \(skipped)") }
            if loaded.configCheckSkipped {
                Log.logger.notice("\(loaded.name) records its config hash in an earlier version's form; the check that the config did not change is skipped")
            }
            if loaded.configChanged {
                Log.logger.notice("the config differs from the one the checkpoint was saved with (e.g. epochs or ranks); continuing with the new one")
            }
        }
        if let loaded, !json {
            var text = "resumed from \(directory)/\(loaded.name) (" + (job.steps == nil ? "epoch \(loaded.state.epoch + 1), " : "")
                + "step \(loaded.state.globalStep)"
            if loaded.state.worldSize != collectives.size { text += ", saved by \(loaded.state.worldSize) ranks, now \(collectives.size)" }
            console.line(text + ")")
            if agreed.resetOptimizer {
                console.line("optimizer state reset (--reset-optimizer): the checkpoint's optimizer tensors were not used; the optimizer starts from zero state")
            }
        }
    }

    /// Rank 0's copy of the model's non-trained buffers (batch norm's running statistics) from
    /// `loaded`, then on every rank: float buffers broadcast, counters through one exact sum.
    private func restoreBuffers(_ buffers: [ModelBuffer], from loaded: LoadedCheckpoint?) throws {
        guard !buffers.isEmpty else { return }
        loaded?.copyBuffers(into: buffers)
        var counters: [Double] = []
        for buffer in buffers {
            switch buffer.storage {
            case .float(let values): try collectives.broadcast(values, root: 0)
            case .int64(let value): counters.append(collectives.rank == 0 ? Double(value.pointee) : 0)   // exact below 2^53
            }
        }
        let summed = try collectives.sum(counters)
        var next = 0
        for buffer in buffers {
            guard case .int64(let value) = buffer.storage else { continue }
            value.pointee = Int64(summed[next])
            next += 1
        }
    }

    /// Rank 0's check that the checkpoint's optimizer tensors are the ones the configured
    /// optimizer keeps. Returns true when they differ and `reset` allows starting from zero
    /// state; throws a `TrainingError` naming the tensors when they differ and it does not.
    static func checkOptimizerTensors(_ loaded: LoadedCheckpoint, expected: [String], optimizer: String,
                                      reset: Bool, directory: String) throws -> Bool {
        let saved = Set(loaded.optimizerTensors.keys)
        guard saved != Set(expected) else { return false }
        if reset { return true }
        let list = { (names: [String]) in names.isEmpty ? "none" : names.sorted().joined(separator: ", ") }
        throw TrainingError("\(directory)/\(loaded.name)/\(CheckpointStore.optimizerFile) holds optimizer tensors [\(list(Array(saved)))] "
            + "but the configured optimizer (\(optimizer)) keeps [\(list(expected))]; resume with the optimizer the run was saved with, "
            + "or pass --reset-optimizer to start the optimizer state from zero")
    }

    /// A load failure as the message a user sees.
    public static func resumeError(_ error: Error, directory: String) -> Error {
        guard let error = error as? CheckpointError else { return error }
        switch error.code {
        case .noCheckpoint:
            return TrainingError("nothing to resume: \(directory) holds no checkpoint")
        case .noValidCheckpoint where !error.skipped.isEmpty && error.skipped.allSatisfy({ $0.code == .layoutMismatch }):
            return TrainingError("the config changes the model's shape versus every checkpoint (\(error.skipped[0].reason)); "
                                 + "resume with the config they were saved with, or start a new run folder")
        case .noValidCheckpoint:
            return TrainingError("no checkpoint in \(directory) verifies, so nothing starts: \(error)")
        case .layoutMismatch:
            return TrainingError("the config changes the model's shape versus the checkpoint (\(error.message)); "
                                 + "resume with the config it was saved with, or start a new run folder")
        default:
            return TrainingError("\(error)")
        }
    }
}
