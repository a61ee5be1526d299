// SweepStatus: where a sweep stands now — running or not (its folder's lock), trials by status,
// each running trial's latest epoch, metric and rate, the best so far and the time left — read
// from its store without writing to it, or from the status.json its coordinator keeps replacing
// (SQLite's write-ahead log cannot be read from another host).
import Foundation
import Model
import Worker

/// A sweep's state, as `ringtrain status` shows it and the coordinator writes it to status.json.
public struct SweepStatus: Codable, Sendable {
    /// One running trial.
    public struct RunningTrial: Codable, Sendable {
        public var id: Int
        /// Its parameter values, `name=value, …`.
        public var parameters: String
        public var epoch: Int?
        /// Its latest value of the sweep metric.
        public var metric: Double?
        /// A training trial's throughput (last report) and time left; a program's epochs per minute.
        public var samplesPerSecond: Double?
        public var secondsLeft: Double?
        public var epochsPerMinute: Double?
        /// Seconds since its attempt started.
        public var secondsRunning: Double?

        enum CodingKeys: String, CodingKey {
            case id, parameters, epoch, metric
            case samplesPerSecond = "samples_per_s", secondsLeft = "seconds_left", epochsPerMinute = "epochs_per_minute"
            case secondsRunning = "seconds_running"
        }
    }

    public var path: String
    /// `running`, `finished`, `stopped` (not running, trials left: `ringtrain resume` continues it).
    public var state: String
    /// Who holds the sweep folder now, or (when nobody does) who held it last.
    public var holder: String?
    public var lastHolder: String?
    public var method: String
    public var metricName: String
    public var goal: String
    public var runCap: Int
    public var parallel: Int
    /// Trials by status (`pending`, `running`, `interrupted`, `stopped`, `paused`, `failed`, `finished`),
    /// and `not_started`: trials the run cap allows that no search has suggested yet.
    public var counts: [String: Int]
    public var bestTrial: Int?
    public var bestValue: Double?
    public var running: [RunningTrial]
    /// About how long the trials left take while the sweep runs: the median finished trial's
    /// time (from its suggestion to its end, waits included), `parallel` at once.
    public var secondsLeft: Double?
    /// When and where this was written (status.json), nil when read from the store just now.
    public var writtenAt: Date?
    public var writtenOn: String?

    enum CodingKeys: String, CodingKey {
        case path, state, holder, method, goal, parallel, counts, running
        case lastHolder = "last_holder", metricName = "metric", runCap = "run_cap", bestTrial = "best_trial", bestValue = "best_value"
        case secondsLeft = "seconds_left", writtenAt = "written_at", writtenOn = "written_on"
    }

    /// The file the coordinator keeps in the sweep folder.
    public static let fileName = "status.json"
    /// Seconds after which a status.json that says running is called stale (it is rewritten
    /// every 2 s while trials run, and whenever one starts or ends).
    static let staleAfter = 60.0

    /// Reads the sweep in `path`: from its store when no process on another host runs it, else
    /// from its status.json.
    /// - Throws: `ConfigError` or `SweepStoreError` naming what cannot be read.
    public static func read(_ path: String) throws -> SweepStatus {
        let holder = FolderLock.holder(of: path)
        if let host = holder.flatMap(FolderLock.host(ofRecord:)), !ClusterSpec.isLocal(host, localHost: ProcessInfo.processInfo.hostName) {
            return try fromFile(path)
        }
        let store: SweepStore
        do {
            store = try SweepStore(readingOnly: path + "/" + SweepFolder.storeFile)
        } catch where holder != nil && FileManager.default.fileExists(atPath: path + "/" + fileName) {
            return try fromFile(path)   // e.g. a store on a shared disk whose log another host holds
        }   // nobody runs the sweep: a store that cannot be read is damage, said as report and resume say it
        let config = try SweepRunner.recordedConfig(runDirectory: path, store: store, dataFiles: .skipped)
        guard let spec = try config.sweepSpec(filesChecked: false) else {
            throw ConfigError(file: SweepFolder.configPath(path), keyPath: "sweep", message: "this sweep folder's config has no sweep section")
        }
        var extended = spec
        if let cap = try store.extendedRunCap() { extended.runCap = max(spec.runCap, cap) }
        // Only the coordinator knows a search ran out of configurations: its last word says so.
        let finished = holder == nil && (try? fromFile(path))?.state == "finished" ? true : nil
        return try make(path: path, spec: extended, store: store, holder: holder, finished: finished)
    }

    /// The status.json the coordinator wrote in `path`.
    static func fromFile(_ path: String) throws -> SweepStatus {
        let file = path + "/" + fileName
        let data: Data
        do {
            guard let read = try CheckpointFiles.readSmall(file, limit: 4 << 20) else {
                throw ConfigError(file: file, keyPath: "", message: "is not there yet; the sweep runs on another host and writes it as it goes")
            }
            data = read
        } catch let error as ConfigError { throw error } catch {
            throw ConfigError(file: file, keyPath: "", message: "cannot be read: \(error.fileErrorText)")
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(SweepStatus.self, from: data)
        } catch {
            throw ConfigError(file: file, keyPath: "", message: "is not a sweep status (\(error))", hint: "it is rewritten whole while the sweep runs")
        }
    }

    /// The status from `store` as it is now (the coordinator's own view, or a reader's).
    /// `finished` says whether the sweep ended with every trial it will run (nil: judged by the
    /// run cap, which a search that ran out of configurations never reaches).
    static func make(path: String, spec: SweepSpec, store: SweepStore, holder: String?, finished: Bool? = nil) throws -> SweepStatus {
        let trials = try store.trials()
        let epochs = try store.epochMetrics()
        let times = try store.times()
        let now = Date()
        var counts = Dictionary(uniqueKeysWithValues: TrialStatus.allCases.map { ($0.rawValue, 0) })
        for trial in trials { counts[trial.status.rawValue, default: 0] += 1 }
        counts["not_started"] = max(0, spec.runCap - trials.count)
        let best = SweepRunner.best(trials, goal: spec.metric.goal)
        let running = trials.filter { $0.status == .running }.map { trial -> RunningTrial in
            let reported = epochs[trial.id] ?? [:]
            let epoch = reported.keys.max()
            var entry = RunningTrial(id: trial.id, parameters: SweepConsole.describe(trial.configuration), epoch: epoch,
                                     metric: epoch.flatMap { reported[$0]?[spec.metric.name] })
            let since = times.trials[trial.id].map { now.timeIntervalSince($0.changed) }
            entry.secondsRunning = since
            if spec.program == nil {
                let run = try? RunStatus.read(path + String(format: "/trial-%04d", trial.id), probing: false)
                (entry.samplesPerSecond, entry.secondsLeft) = (run?.samplesPerSecond, run?.secondsLeft)
            } else if let since, since > 0, !reported.isEmpty {
                entry.epochsPerMinute = Double(reported.count) / since * 60   // a program starts again from its first epoch
            }
            return entry
        }
        // A paused trial takes no slot, but its time is only part of a trial's.
        let durations = trials.filter(\.status.isFinal).compactMap { trial in times.trials[trial.id].map { $0.changed.timeIntervalSince($0.added) } }.filter { $0 > 0 }
        let left = max(0, spec.runCap - trials.filter { spec.isSettled($0.status) }.count)
        // The trials to come at the median finished trial's pace, `parallel` at a time; a running
        // trial has only the rest of that pace left.
        var secondsLeft: Double?
        if !durations.isEmpty && left > 0 {
            let pace = median(durations)
            let runningLeft = running.reduce(0.0) { $0 + max(0, pace - ($1.secondsRunning ?? 0)) }
            secondsLeft = (runningLeft + Double(max(0, left - running.count)) * pace) / Double(max(1, spec.parallel))
        }
        let done = finished ?? (left == 0)
        return SweepStatus(path: path, state: holder != nil ? "running" : (done ? "finished" : "stopped"), holder: holder,
                           lastHolder: holder == nil ? FolderLock.lastHolder(of: path) : nil, method: spec.method.rawValue,
                           metricName: spec.metric.name, goal: spec.metric.goal.rawValue, runCap: spec.runCap, parallel: spec.parallel,
                           counts: counts, bestTrial: best?.id, bestValue: best?.value, running: running,
                           secondsLeft: holder == nil ? nil : secondsLeft)
    }

    /// Writes this status as `folder`/status.json, atomically, stamped with now and this host.
    func write(to folder: String) throws {
        var stamped = self
        (stamped.writtenAt, stamped.writtenOn) = (Date(), ProcessInfo.processInfo.hostName)
        try AtomicFile.write(stamped.jsonText, to: folder + "/" + Self.fileName)
    }

    /// The status as JSON text (one object, keys sorted).
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Lines for people.
    public var text: String {
        var lines = ["\(path): sweep \(state)\(holder.map { " (\($0))" } ?? "") — \(method) search, metric \(metricName) (\(goal)), \(parallel) at a time"]
        if state == "stopped" {
            lines.append("  not running: no process holds the folder\(lastHolder.map { " (it was last held by \($0))" } ?? ""); `ringtrain resume \(path)` continues it")
        }
        let order = ["finished", "stopped", "paused", "failed", "running", "interrupted", "pending", "not_started"]
        lines.append("  trials: " + order.map { "\(counts[$0] ?? 0) \($0.replacingOccurrences(of: "_", with: " "))" }.joined(separator: ", ")
                     + " (run_cap \(runCap))")
        if let bestTrial, let bestValue {
            lines.append("  best: \(metricName) \(SweepConsole.format(bestValue)) (trial \(bestTrial))")
        }
        for trial in running {
            var parts = ["  trial \(trial.id) running"]
            if let epoch = trial.epoch { parts.append("epoch \(epoch)") }
            if let metric = trial.metric { parts.append("\(metricName) \(SweepConsole.format(metric))") }
            if let rate = trial.samplesPerSecond { parts.append(String(format: "%.0f samples/s", rate)) }
            if let rate = trial.epochsPerMinute { parts.append(String(format: "%.2g epochs/min", rate)) }
            if let left = trial.secondsLeft { parts.append("about \(roughDurationText(left)) left") }
            lines.append(parts.joined(separator: ", ") + ": " + trial.parameters)
        }
        if let secondsLeft { lines.append("  about \(roughDurationText(secondsLeft)) left for the trials to come") }
        if let writtenAt {
            let age = max(0, Date().timeIntervalSince(writtenAt))
            lines.append(String(format: "  (from %@, written %.0f s ago on %@)", Self.fileName, age, writtenOn ?? "?"))
            // A running coordinator rewrites it every few seconds while trials run.
            if state == "running" && age > Self.staleAfter {
                lines.append("  not rewritten for \(roughDurationText(age)): its coordinator may have stopped without a word; `ringtrain status` on \(writtenOn ?? "its host") knows")
            }
        }
        return lines.joined(separator: "\n")
    }
}
