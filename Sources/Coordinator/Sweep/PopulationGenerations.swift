// PopulationGenerations: population-based training's generations in a sweep — each member trains
// one generation an attempt (`--stop-after` its end; a program is told its folders in the
// environment) and pauses; once every member has, the decision is recorded, the exploiting
// training members take over their sources' checkpoints, and all start the next generation at
// once. Every step is redone from the store after a crash.
import Foundation
import Worker

/// The environment variables of a program's population member (docs/pbt-program.md).
public enum PopulationProgramEnvironment {
    /// The folder holding the checkpoint to continue from; unset in the first generation.
    public static let load = "RINGTRAIN_LOAD_DIR"
    /// An empty folder to save the checkpoint in at the end of the generation.
    public static let save = "RINGTRAIN_SAVE_DIR"
    /// The last epoch of this generation: train through it, report it, save, exit 0.
    public static let stopAfter = "RINGTRAIN_STOP_AFTER"
    /// The member's whole budget in epochs (`sweep.budget`).
    public static let epochs = "RINGTRAIN_EPOCHS"
    /// The generation, 0 for the first.
    public static let generation = "RINGTRAIN_GENERATION"
}

extension SweepRunner {
    /// A member's whole budget: a program's `sweep.budget`, else the job's epochs (or evaluations).
    var memberBudget: Int { spec.population?.budget ?? config.job.progressReports }

    /// The generation member `id` trains now (or trained last).
    func memberGeneration(_ id: Int) throws -> Int {
        try store.lineage().filter { $0.trial == id }.map(\.generation).max() ?? 0
    }

    /// The epoch (or evaluation) the generation member `id` trains now ends at; nil in the last
    /// generation (it trains to the end of the budget).
    func memberGenerationEnd(_ id: Int) throws -> Int? {
        guard let population = spec.population else { return nil }
        return population.stopAfter(generation: try memberGeneration(id), reports: memberBudget)
    }

    /// The folder a program member saves generation `generation`'s checkpoint in (absolute).
    func generationFolder(_ id: Int, _ generation: Int) -> String {
        URL(fileURLWithPath: trialDirectory(id) + "/generations/\(generation)").standardizedFileURL.path
    }

    /// The environment a program member's attempt gets (its save folder made empty first): where
    /// to continue from (its own last save, or the one of the member it copied), where to save,
    /// and where the generation ends. Its reported epochs of this generation, if an earlier
    /// attempt left any, are forgotten.
    func programMemberEnvironment(_ id: Int) throws -> [String: String] {
        guard let population = spec.population else { return [:] }
        let generation = try memberGeneration(id)
        let save = generationFolder(id, generation)
        try? FileManager.default.removeItem(atPath: save)
        try FileManager.default.createDirectory(atPath: save, withIntermediateDirectories: true)
        try store.clearEpochs(id, afterEpoch: generation * population.interval)
        var environment = [PopulationProgramEnvironment.save: save, PopulationProgramEnvironment.generation: String(generation),
                           PopulationProgramEnvironment.epochs: String(memberBudget),
                           PopulationProgramEnvironment.stopAfter: String(population.stopAfter(generation: generation, reports: memberBudget) ?? memberBudget)]
        if generation > 0 {
            let source = try store.lineage().first { $0.generation == generation && $0.trial == id }?.source ?? id
            environment[PopulationProgramEnvironment.load] = generationFolder(source, generation - 1)
        }
        return environment
    }

    /// True when program member `id` saved something for generation `generation`.
    func programMemberSaved(_ id: Int) throws -> Bool {
        let folder = generationFolder(id, try memberGeneration(id))
        return !((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).isEmpty
    }

    /// Moves the population on when every member still in it (failed ones drop out) is paused:
    /// at the end of a generation, the next one is decided and recorded; then, for a recorded
    /// generation not yet started, each exploiting member takes over its source's checkpoint and
    /// all members become pending in one write. Decisions are made once (`recordGeneration`);
    /// copies and the start are redone until the start is written.
    func advancePopulation() throws {
        guard let population = spec.population else { return }
        let trials = try store.trials()
        let members = trials.filter { $0.status != .failed }
        guard trials.count >= spec.runCap, !members.isEmpty, members.allSatisfy({ $0.status == .paused }) else { return }
        let lineage = try store.lineage()
        let latest = lineage.map(\.generation).max() ?? 0
        let reports = memberBudget
        let history = try observations()
        let progress = members.map { m in history.first { $0.id == m.id }?.intermediate.keys.max() ?? 0 }.min() ?? 0
        var next = lineage.filter { $0.generation == latest }
        // Every member trained the latest generation recorded: decide the one after it.
        if let end = population.stopAfter(generation: latest, reports: reports), progress >= end {
            let ranked = members.map { m in
                PopulationMember(id: m.id, configuration: spec.space.normalized(m.configuration),
                                 value: history.first { $0.id == m.id }?.intermediate[end])
            }
            let decisions = PopulationBasedTraining.decide(ranked, generation: latest, goal: spec.metric.goal, spec: population,
                                                           space: spec.space, seed: spec.seed)
            try store.recordGeneration(latest + 1, decisions)
            CrashPoint.pass("coordinator", "generation-decided")
            for d in decisions {
                guard let source = d.source else { continue }
                console.line("[trial \(d.id)] copies trial \(source) at \(rungName(end)) and goes on with "
                             + SweepConsole.describe(d.configuration))
            }
            next = decisions.map { LineageEntry(generation: latest + 1, trial: $0.id, source: $0.source, configuration: $0.configuration) }
        } else {
            // Otherwise the latest generation was decided but not started: start it.
            guard latest > 0, let started = population.stopAfter(generation: latest - 1, reports: reports), progress >= started else { return }
        }
        // A program's member reads its source's folder itself (RINGTRAIN_LOAD_DIR).
        let startedAt = population.stopAfter(generation: (next.first?.generation ?? 1) - 1, reports: reports) ?? 0
        for (index, entry) in next.enumerated() where spec.program == nil {
            guard let source = entry.source else { continue }
            if try !adoptCheckpoint(of: source, into: entry.trial, at: startedAt) {
                // It keeps its own weights, so its own hyperparameters too: recorded as kept.
                let own = lineage.first { $0.generation == entry.generation - 1 && $0.trial == entry.trial }?.configuration ?? entry.configuration
                try store.keepOwn(generation: entry.generation, trial: entry.trial, configuration: own)
                (next[index].source, next[index].configuration) = (nil, own)
            }
            CrashPoint.pass("coordinator", "checkpoint-copied")
        }
        try store.applyAll(next.map { ($0.trial, TrialEvent.nextGeneration(configuration: $0.configuration)) }, from: .paused)
        CrashPoint.pass("coordinator", "generation-started")
        promotionDue = true
    }

    /// `epoch N`, or `evaluation N` for a job budgeted in steps.
    private func rungName(_ index: Int) -> String { (config.job.steps == nil ? "epoch " : "evaluation ") + String(index) }

    /// Member `id` takes over member `source`'s checkpoint at epoch (or evaluation) `end`, the
    /// generation's start, as its only one; the copy is checked against its checksums. False (and
    /// a warning; `id` keeps its own checkpoint, or whatever a copy cut short left of it) when
    /// `source` has none there that verifies.
    private func adoptCheckpoint(of source: Int, into id: Int, at end: Int) throws -> Bool {
        let from = CheckpointStore(directory: trialDirectory(source) + "/checkpoints")
        let to = CheckpointStore(directory: trialDirectory(id) + "/checkpoints")
        var problems: [String] = []
        for checkpoint in from.list().reversed() {
            do {
                guard place(of: try from.state(of: checkpoint.name), against: end) == .orderedSame else { continue }
                try to.adopt(checkpoint.name, from: from) { CrashPoint.pass("coordinator", "checkpoint-half-copied") }
                return true
            } catch let error as CheckpointError where error.code == .corrupt {
                problems.append("\(error)")
            }
        }
        console.log(.warning, "[trial \(id)] cannot copy trial \(source): it has no checkpoint at \(rungName(end)) that verifies"
                    + (problems.isEmpty ? "" : " (" + problems.joined(separator: "; ") + ")") + "; it goes on from its own, as it was")
        return false
    }
}
