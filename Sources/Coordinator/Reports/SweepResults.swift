// SweepResults: a sweep's run folder (sweep.yaml + sweep.sqlite) read into one model for the
// reports — trials ranked by the sweep metric, status counts, learning curves, the best config.
import Foundation

/// One trial as the reports show it.
public struct TrialResult: Sendable, Equatable {
    public var id: Int
    public var status: TrialStatus
    public var configuration: Configuration
    /// Final value of the sweep metric (the last reported one for a stopped trial); nil while
    /// pending or running, and for a failed trial.
    public var metric: Double?
    /// Final metrics the trial reported (test_acc, ...), the sweep metric included when reported.
    public var finalMetrics: [String: Double]
    /// Launches so far.
    public var attempts: Int
    /// Why the last failed attempt failed (full text).
    public var error: String?
    /// The failure's name when it has one (`timeout`); nil otherwise. Default nil.
    public var reason: String? = nil
    /// Every epoch the trial reported, with its metrics, by epoch number (1-based); for a job
    /// budgeted in steps, every evaluation by its 1-based index (its metrics hold its `step`).
    public var epochs: [Int: [String: Double]]
    /// The rung (epoch or evaluation) a paused trial paused at; nil for other trials. Default nil.
    public var pausedAt: Int? = nil
    /// Times the trial was promoted from a pause. Default 0.
    public var promotions: Int = 0

    /// The status as the reports show it: `failed (timeout)`, `paused at epoch 3`,
    /// `finished, promoted 1×`.
    public func statusText(_ unit: ProgressUnit) -> String {
        var text = status == .failed ? reason.map { "failed (\($0))" } ?? "failed" : status.rawValue
        if status == .paused, let pausedAt { text += " at \(unit.rawValue) \(pausedAt)" }
        if promotions > 0 { text += ", promoted \(promotions)×" }
        return text
    }

    /// The sweep metric after each reported epoch (or evaluation) that carries it, by its number.
    public func curve(_ metric: String) -> [(epoch: Int, value: Double)] {
        epochs.keys.sorted().compactMap { e in epochs[e]?[metric].map { (e, $0) } }
    }

    /// The sweep metric after each reported evaluation that carries it, with the optimizer step
    /// it was taken at (the `step` of its metrics line; nil when the line had none).
    public func evaluationCurve(_ metric: String) -> [(evaluation: Int, step: Int?, value: Double)] {
        epochs.keys.sorted().compactMap { e in
            guard let line = epochs[e], let value = line[metric] else { return nil }
            let step = line["step"].flatMap { $0 >= 0 && $0 < 1e15 && $0 == $0.rounded() ? Int($0) : nil }
            return (e, step, value)
        }
    }

    /// The first non-empty line of `error`.
    public var errorLine: String? {
        error?.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
    }
}

/// What a sweep's trials count as they report progress.
public enum ProgressUnit: String, Sendable {
    /// One metrics line per epoch (a job budgeted in `job.epochs`).
    case epoch
    /// One metrics line per validation of a job budgeted in `job.steps` (every `eval_every` steps).
    case evaluation

    /// The unit's name counted: `epochs` or `evaluations`.
    public var plural: String { rawValue + "s" }
}

/// Everything a sweep report shows, read from a run folder.
public struct SweepResults: Sendable {
    /// The run folder read.
    public var runDirectory: String
    /// What the trials' progress lines (`TrialResult.epochs`) count; default `.epoch`.
    public var progressUnit: ProgressUnit
    /// The sweep's metric and goal.
    public var metric: SweepMetric
    /// The swept parameters in config order (with their distributions).
    public var parameters: [SweepParameter]
    /// Every trial, best first (see `rank`).
    public var trials: [TrialResult]
    /// The resolved config of the best trial as YAML (`ringtrain train` runs it as is); nil
    /// without a best trial, for a program sweep, or when the config cannot be rebuilt.
    public var bestYAML: String?
    /// Things the report could not do, each a sentence (e.g. why `bestYAML` is missing).
    public var notes: [String]
    /// Population-based training's lineage (nil for other methods). Default nil.
    public var lineage: PopulationLineage? = nil
    /// The schedule behind the best trial's final model under population-based training (its
    /// first stretch's hyperparameters are `bestYAML`'s); empty otherwise. Default empty.
    public var bestSchedule: [ScheduleStretch] = []

    /// The value of the sweep metric trial `id` reported at epoch (or evaluation) `index`.
    public func reported(_ id: Int, at index: Int) -> Double? {
        trials.first { $0.id == id }?.epochs[index]?[metric.name]
    }

    public init(runDirectory: String, metric: SweepMetric, parameters: [SweepParameter], trials: [TrialResult],
                bestYAML: String? = nil, notes: [String] = [], progressUnit: ProgressUnit = .epoch) {
        self.runDirectory = runDirectory
        self.progressUnit = progressUnit
        self.metric = metric
        self.parameters = parameters
        self.trials = SweepResults.rank(trials, goal: metric.goal)
        self.bestYAML = bestYAML
        self.notes = notes
    }

    /// The best trial: the first finished trial with a metric after ranking, or, when none has
    /// finished, the best one stopped or paused at a rung. Nil when no trial has a metric yet.
    public var best: TrialResult? {
        trials.first { $0.status == .finished && $0.metric != nil } ?? trials.first { $0.status.isRanked && $0.metric != nil }
    }

    /// Trials per status, every status present (zero when none).
    public var statusCounts: [TrialStatus: Int] {
        var counts = Dictionary(uniqueKeysWithValues: TrialStatus.allCases.map { ($0, 0) })
        for t in trials { counts[t.status, default: 0] += 1 }
        return counts
    }

    /// Names of final metrics other than the sweep metric that any trial reported, sorted.
    public var otherMetricNames: [String] {
        Set(trials.flatMap(\.finalMetrics.keys)).subtracting([metric.name]).sorted()
    }

    /// Ranking order: finished trials with a metric, best first per `goal`; then stopped or paused
    /// trials with a metric (ended at a rung, so not comparable with finished ones), best first; then
    /// running, pending or interrupted, failed, and any trial without a metric. Ties keep id order.
    public static func rank(_ trials: [TrialResult], goal: MetricGoal) -> [TrialResult] {
        func group(_ t: TrialResult) -> Int {
            switch (t.status, t.metric) {
            case (.finished, .some): return 0
            case (.stopped, .some), (.paused, .some): return 1
            case (.running, _): return 2
            case (.pending, _), (.interrupted, _): return 3
            case (.failed, _): return 4
            default: return 5
            }
        }
        return trials.sorted { a, b in
            let (ga, gb) = (group(a), group(b))
            if ga != gb { return ga < gb }
            if let ma = a.metric, let mb = b.metric, ga <= 1, ma != mb {
                return goal == .minimize ? ma < mb : ma > mb
            }
            return a.id < b.id
        }
    }
}

extension SweepResults {
    /// Reads `runDirectory`: `sweep.yaml` (`cluster.yaml` in older sweeps) for the sweep (metric, goal, parameters) and the
    /// base job, `sweep.sqlite` for the trials. Throws a `ConfigError` naming what a run folder
    /// should hold when either is missing. The best trial's YAML is rebuilt from the base config
    /// and its configuration; if that fails (e.g. the config's relative dataset paths do not
    /// resolve from the run folder), the trial's own `trial-NNNN/config.yaml` is used. `store`
    /// reads the trials (default: the folder's, opened here).
    public static func load(runDirectory: String, store given: SweepStore? = nil) throws -> SweepResults {
        let fm = FileManager.default
        let storePath = runDirectory + "/" + SweepFolder.storeFile
        let configPath = SweepFolder.configPath(runDirectory)
        let layout = "a sweep run folder holds sweep.yaml (the sweep config; cluster.yaml in older sweeps), sweep.sqlite (the trials) and trial-NNNN/ folders; "
            + "give the folder `ringtrain sweep CONFIG --run-dir DIR` wrote"
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: runDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigError(file: runDirectory, keyPath: "", message: "no such run folder", hint: layout)
        }
        guard fm.fileExists(atPath: storePath) else {
            throw ConfigError(file: runDirectory, keyPath: "", message: "not a sweep run folder: it has no sweep.sqlite", hint: layout)
        }
        guard fm.fileExists(atPath: configPath) else {
            throw ConfigError(file: runDirectory, keyPath: "", message: "the run folder has no sweep.yaml", hint: layout)
        }

        var notes: [String] = []
        let store = try given ?? SweepStore(path: storePath)
        let origin = try store.origin()
        _ = try store.extendedRunCap()   // checked like every stored value
        let file = try ConfigFile.load(path: configPath, overrides: origin?.overrides ?? [], baseDirectory: origin?.configDirectory)
        if let origin, SweepRunner.identity(of: file) != origin.identity {
            throw ConfigError(file: configPath, keyPath: "", message: "no longer matches the sweep recorded in sweep.sqlite (it was edited or replaced)",
                              hint: "restore the sweep's config copy, or give the folder of the sweep it belongs to")
        }
        var config: RunConfig?
        var parsed: SweepSpec?
        do {
            let loaded = try RunConfig(file: file, dataFiles: .skipped)   // a report reads no data
            config = loaded
            parsed = try loaded.sweepSpec(filesChecked: false)
        } catch let error as ConfigError where !error.keyPath.hasPrefix("sweep") {
            // The job no longer loads from here (moved data, relative paths): the sweep section alone will do.
            if let section = try file.root.table(allowed: nil)["sweep"] {
                parsed = try SweepParser.parse(section, baseDirectory: file.directory, programFiles: false)
                notes.append("the base job did not load from \(configPath) (\(error.message)); the best config comes from its trial folder")
            } else {
                throw error
            }
        }
        guard let spec = parsed else {
            throw ConfigError(file: configPath, keyPath: "sweep", message: "the config has no sweep section", hint: layout)
        }

        let epochs = try store.epochMetrics()
        let stored = try store.checkedTrials(space: spec.space)
        try SweepFolder.checkTrialFolders(runDirectory, known: Set(stored.map(\.id)))
        let trials = stored.map { t in
            TrialResult(id: t.id, status: t.status, configuration: spec.space.normalized(t.configuration), metric: t.metric,
                        finalMetrics: t.finalMetrics, attempts: t.attempts, error: t.error, reason: t.reason,
                        epochs: epochs[t.id] ?? [:], pausedAt: t.status == .paused ? t.pauseRung : nil, promotions: t.promotions)
        }
        let unit = progressUnit(lines: epochs.values.flatMap(\.values), config: spec.program == nil ? config : nil)
        var results = SweepResults(runDirectory: runDirectory, metric: spec.metric, parameters: spec.space.parameters,
                                   trials: trials, notes: notes, progressUnit: unit)
        if let population = spec.population {
            let reports = population.budget ?? config?.job.progressReports ?? (epochs.values.flatMap(\.keys).max() ?? population.interval)
            results.lineage = PopulationLineage(entries: try store.lineage(), interval: population.interval, reports: reports)
        }
        if var best = results.best {
            // A population member's final model comes from a schedule: its config is the schedule's start.
            if let schedule = results.lineage?.schedule(of: best.id), let first = schedule.first {
                results.bestSchedule = schedule
                best.configuration = spec.space.normalized(first.configuration)
            }
            results.bestYAML = bestYAML(best, spec: spec, config: config, runDirectory: runDirectory, notes: &results.notes)
        }
        return results
    }

    /// Evaluations when the recorded progress lines carry `evaluation` instead of `epoch` (a job
    /// budgeted in steps); before any line is recorded, what the base job's budget says.
    static func progressUnit(lines: [[String: Double]], config: RunConfig?) -> ProgressUnit {
        guard !lines.isEmpty else { return config?.job.steps != nil ? .evaluation : .epoch }
        return lines.contains { $0["evaluation"] != nil && $0["epoch"] == nil } ? .evaluation : .epoch
    }

    /// The folder of trial `id` inside `runDirectory` (`trial-0007`).
    public static func trialDirectory(_ runDirectory: String, id: Int) -> String {
        runDirectory + "/trial-" + String(format: "%04d", id)
    }

    private static func bestYAML(_ best: TrialResult, spec: SweepSpec, config: RunConfig?, runDirectory: String,
                                 notes: inout [String]) -> String? {
        if spec.program != nil {
            notes.append("trials run a program, so the best configuration is its parameters, not a job config")
            return nil
        }
        if let config {
            do {
                let trial = try spec.trialConfig(base: config, configuration: best.configuration)
                return ResolvedConfig.yaml(job: trial.job, cluster: trial.cluster)
            } catch {
                notes.append("the best configuration does not rebuild: \(error)")
            }
        }
        let saved = trialDirectory(runDirectory, id: best.id) + "/config.yaml"
        if let text = try? String(contentsOfFile: saved, encoding: .utf8) { return text }
        notes.append("no config for trial \(best.id): \(saved) is missing")
        return nil
    }
}
