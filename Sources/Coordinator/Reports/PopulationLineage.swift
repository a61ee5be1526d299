// PopulationLineage: population-based training's lineage as the reports show it — who copied whom
// at which generation, with which hyperparameters — the schedule behind a member's final model,
// and the commands that train that schedule again, to the same model.
import Foundation

/// A stretch of a final model's training: the epochs (or evaluations) `from`…`to`, trained by
/// member `trial` with `configuration`.
public struct ScheduleStretch: Sendable, Equatable {
    /// The first epoch (or evaluation) of the stretch, 1-based.
    public var from: Int
    /// Its last one.
    public var to: Int
    /// The member whose training it was.
    public var trial: Int
    /// The hyperparameters it trained with.
    public var configuration: Configuration
    public init(from: Int, to: Int, trial: Int, configuration: Configuration) {
        (self.from, self.to, self.trial, self.configuration) = (from, to, trial, configuration)
    }
}

/// The lineage of a population-based training sweep.
public struct PopulationLineage: Sendable, Equatable {
    /// Every (generation, member), by generation then trial.
    public var entries: [LineageEntry]
    /// Epochs (or evaluations) per generation.
    public var interval: Int
    /// A member's whole budget in epochs (or evaluations).
    public var reports: Int

    public init(entries: [LineageEntry], interval: Int, reports: Int) {
        (self.entries, self.interval, self.reports) = (entries, interval, reports)
    }

    /// The generations recorded so far.
    public var generations: Int { (entries.map(\.generation).max() ?? -1) + 1 }

    /// The epochs (or evaluations) generation `generation` covers.
    public func span(_ generation: Int) -> ClosedRange<Int> {
        (generation * interval + 1)...max(generation * interval + 1, min(reports, (generation + 1) * interval))
    }

    /// The schedule behind member `id`'s model after the latest generation: followed back through
    /// each copy (a member that copied another at a generation's start carries that one's
    /// training before it), neighbouring stretches with the same hyperparameters merged. Empty
    /// when the lineage does not reach back to generation 0.
    public func schedule(of id: Int) -> [ScheduleStretch] {
        var member = id
        var stretches: [ScheduleStretch] = []
        for generation in stride(from: generations - 1, through: 0, by: -1) {
            guard let entry = entries.first(where: { $0.generation == generation && $0.trial == member }) else { return [] }
            let span = span(generation)
            if let next = stretches.first, next.configuration == entry.configuration {
                stretches[0].from = span.lowerBound
                stretches[0].trial = member
            } else {
                stretches.insert(ScheduleStretch(from: span.lowerBound, to: span.upperBound, trial: member,
                                                 configuration: entry.configuration), at: 0)
            }
            if let source = entry.source { member = source }
        }
        return stretches
    }

    /// Shell commands that train `schedule` again in `runDirectory`, from `config` (the job with
    /// the first stretch's hyperparameters): `train --stop-after` the first stretch's end, then a
    /// `resume --set` of what changed for each further stretch. Training is deterministic, so
    /// they end with the member's final model.
    public func replayCommands(_ schedule: [ScheduleStretch], parameters: [SweepParameter], config: String = "best.yaml",
                               runDirectory: String = "runs/pbt-replay") -> [String] {
        var commands: [String] = []
        for (index, stretch) in schedule.enumerated() {
            let stop = stretch.to < reports ? " --stop-after \(stretch.to)" : ""
            guard index > 0 else {
                commands.append("ringtrain train \(ShellWords.quote(config)) --run-dir \(ShellWords.quote(runDirectory))\(stop)")
                continue
            }
            let sets = parameters.compactMap { p -> String? in
                guard let value = stretch.configuration[p.name], value != schedule[index - 1].configuration[p.name] else { return nil }
                return " --set " + ShellWords.quote("job.\(p.name)=\(value.yamlText)")
            }
            commands.append("ringtrain resume \(ShellWords.quote(runDirectory))\(sets.joined())\(stop)")
        }
        return commands
    }

    /// The parameters of `entry` that differ from what its member (or the member it copied)
    /// trained the generation before with, as `name=value` texts.
    public func changes(_ entry: LineageEntry, parameters: [SweepParameter]) -> [String] {
        guard entry.generation > 0,
              let before = entries.first(where: { $0.generation == entry.generation - 1 && $0.trial == (entry.source ?? entry.trial) })
        else { return parameters.compactMap { p in entry.configuration[p.name].map { "\(p.name)=\($0.yamlText)" } } }
        return parameters.compactMap { p in
            guard let value = entry.configuration[p.name], value != before.configuration[p.name] else { return nil }
            return "\(p.name)=\(value.yamlText)"
        }
    }
}
