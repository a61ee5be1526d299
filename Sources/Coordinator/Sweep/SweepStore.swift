// SweepStore: all of a sweep's state in sweep.sqlite (WAL, one transaction per change) —
// trials with parameters, status, attempts, errors and final metric, and per-epoch metrics.
import Foundation
import GRDB

/// One trial as stored.
public struct TrialRecord: Sendable, Equatable {
    public var id: Int
    public var status: TrialStatus
    public var configuration: Configuration
    /// Final value of the sweep metric (or the last reported one for a stopped trial).
    public var metric: Double?
    /// Launches so far (first run, retries and resumptions).
    public var attempts: Int
    /// Attempts that failed (counted against `max_retries`).
    public var failures: Int
    /// Why the last failed attempt failed, with the last lines of its log.
    public var error: String?
    /// Process id of the running attempt's supervisor, when known.
    public var pid: Int?
    /// Final metrics of the trial (test_acc, ... or the program's numbers).
    public var finalMetrics: [String: Double]
    /// True once early termination decided to stop the trial (recorded before it is signalled).
    public var stopRequested: Bool = false
    /// Why the trial failed, when that has a name (`timeout`); nil otherwise.
    public var reason: String? = nil
    /// Attempts in a row whose supervisor vanished without recording how the command ended.
    public var lostSupervisors: Int = 0
    /// When the processes a lost supervisor left get killed (seconds since 1970), once they were
    /// asked to stop; nil otherwise.
    public var drainDeadline: Double? = nil
    /// The rung (epoch or evaluation) a pause was decided at, while the pause is requested or
    /// the trial is paused; nil otherwise.
    public var pauseRung: Int? = nil
    /// Times the trial was promoted from a pause.
    public var promotions: Int = 0
}

/// Where a sweep's config came from, recorded when the sweep is created, so every later
/// `resume` and `report` reads the run folder's copy exactly as the first command read it.
public struct SweepOrigin: Sendable, Equatable {
    /// Fingerprint of what the config means (its parsed content, not its text or comments).
    public var identity: String
    /// Folder relative paths in the config were resolved against (the config file's folder).
    public var configDirectory: String
    /// The `--set` overrides the sweep was started with.
    public var overrides: [String]
    public init(identity: String, configDirectory: String, overrides: [String]) {
        self.identity = identity
        self.configDirectory = configDirectory
        self.overrides = overrides
    }
}

/// The sweep database.
public final class SweepStore: @unchecked Sendable {
    // @unchecked: DatabasePool serialises access itself.
    private let pool: DatabasePool
    /// Path of sweep.sqlite.
    public let path: String

    /// Opens the existing store at `path`. It is never created or rebuilt here: a missing,
    /// empty (0-byte) or unreadable file, a missing table or column, or a missing sweep row is a
    /// `SweepStoreError` naming it (a new sweep's store is made by `create`). Columns added after
    /// the first release are added to an older store.
    public init(path: String) throws {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SweepStoreError(path: path, message: "is missing; a sweep folder holds the sweep.sqlite its sweep created")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SweepStoreError(path: path, message: "is not a regular file (a folder, FIFO or device is in its place)")
        }
        guard info.st_size > 0 else {
            throw SweepStoreError(path: path, message: "is empty (0 bytes): the tables sweep, trial and epoch_metric are gone")
        }
        pool = try Self.access(path) { try DatabasePool(path: path, configuration: Self.configuration) }
        try Self.access(path) {
            try pool.write { db in
                for (table, columns) in Self.schema {
                    guard try db.tableExists(table) else {
                        throw SweepStoreError(path: path, table: table, message: "is missing; a sweep store has the tables "
                                              + Self.schema.map(\.table).joined(separator: ", "))
                    }
                    let existing = Set(try db.columns(in: table).map(\.name))
                    if let column = columns.first(where: { !existing.contains($0) }) {
                        throw SweepStoreError(path: path, table: table, column: column, message: "is missing; the table needs the columns "
                                              + columns.joined(separator: ", "))
                    }
                }
                guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sweep WHERE id = 1") == 1 else {
                    throw SweepStoreError(path: path, table: "sweep", row: 1,
                                          message: "is missing: the sweep's id and config fingerprint are gone")
                }
                // Columns added after the first release; older sweep folders gain them here.
                try Self.addColumns(db, table: "sweep", ["identity TEXT", "config_directory TEXT", "overrides TEXT", "run_cap INTEGER"])
                try db.execute(sql: Self.lineageTable)
                try Self.addColumns(db, table: "trial", ["stop_requested INTEGER NOT NULL DEFAULT 0", "reason TEXT",
                                                         "lost_supervisors INTEGER NOT NULL DEFAULT 0", "drain_deadline REAL",
                                                         "pause_rung INTEGER", "promotions INTEGER NOT NULL DEFAULT 0"])
            }
        }
    }

    /// Opens the existing store at `path` for reading only, as a process that does not run the
    /// sweep may (`ringtrain status`): nothing is written or added, also while the sweep runs.
    /// Without a write-ahead log beside it (no process has it open, nor died with it open), it
    /// is read as immutable, so SQLite makes no log files in the folder either.
    /// - Throws: `SweepStoreError` when it is missing, empty, not a sweep store, or from an
    ///   earlier version that has not been brought up to date (which only a writer does).
    public init(readingOnly path: String) throws {
        self.path = path
        var info = stat()
        let missingOrEmpty = SweepStoreError(path: path, message: "is missing or empty; a sweep folder holds the sweep.sqlite its sweep created")
        guard stat(path, &info) == 0 else { throw missingOrEmpty }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SweepStoreError(path: path, message: "is not a regular file (a folder, FIFO or device is in its place)")
        }
        guard info.st_size > 0 else { throw missingOrEmpty }
        var configuration = Self.configuration
        configuration.readonly = true
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let opened = FileManager.default.fileExists(atPath: path + "-wal")
            ? path : "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? absolute) + "?immutable=1"
        pool = try Self.access(path) { try DatabasePool(path: opened, configuration: configuration) }
        try Self.access(path) {
            try pool.read { db in
                for (table, _) in Self.schema where !(try db.tableExists(table)) {
                    throw SweepStoreError(path: path, table: table, message: "is missing; a sweep store has the tables "
                                          + Self.schema.map(\.table).joined(separator: ", "))
                }
                // (pause_rung and promotions, added later still, read as none when missing.)
                let added = ["sweep": ["run_cap"], "trial": ["stop_requested", "reason", "lost_supervisors", "drain_deadline"]]
                for (table, columns) in added {
                    let existing = Set(try db.columns(in: table).map(\.name))
                    if let column = columns.first(where: { !existing.contains($0) }) {
                        throw SweepStoreError(path: path, table: table, column: column,
                                              message: "is missing: the store is from an earlier ringtrain; `ringtrain report` on its folder brings it up to date")
                    }
                }
            }
        }
    }

    /// When the sweep was created, and each trial was added and last changed state (from the
    /// timestamps every row has); unreadable ones are left out.
    public func times() throws -> (created: Date?, trials: [Int: (added: Date, changed: Date)]) {
        try read { db in
            let parse = ISO8601DateFormatter()
            let created = try String.fetchOne(db, sql: "SELECT created_at FROM sweep WHERE id = 1").flatMap(parse.date(from:))
            var trials: [Int: (added: Date, changed: Date)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, created_at, updated_at FROM trial") {
                guard let id = Int.fromDatabaseValue(row["id"]), let added = String.fromDatabaseValue(row["created_at"]).flatMap(parse.date(from:)),
                      let changed = String.fromDatabaseValue(row["updated_at"]).flatMap(parse.date(from:)) else { continue }
                trials[id] = (added, changed)
            }
            return (created, trials)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try Self.access(path) { try pool.read(body) }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try Self.access(path) { try pool.write(body) }
    }

    private static func addColumns(_ db: Database, table: String, _ columns: [String]) throws {
        let existing = Set(try db.columns(in: table).map(\.name))
        for column in columns where !existing.contains(String(column.split(separator: " ")[0])) {
            try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(column)")
        }
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    private static func json(_ metrics: [String: Double]) -> String {
        (try? JSONSerialization.data(withJSONObject: metrics.filter { $0.value.isFinite }, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The sweep's id and origin as first recorded; records the given ones when the sweep is
    /// new. A sweep folder made before origins were recorded gets `origin` when its recorded
    /// text hash equals `legacyHash` (the same config), and is returned with a nil origin otherwise.
    public func claim(sweepID: String, origin: SweepOrigin, legacyHash: String) throws -> (sweepID: String, origin: SweepOrigin?) {
        try write { db in
            let overrides = String(decoding: try JSONEncoder().encode(origin.overrides), as: UTF8.self)
            if let recorded = try self.recorded(db) {
                if let known = recorded.origin { return (recorded.sweepID, known) }
                guard recorded.configHash == legacyHash else { return (recorded.sweepID, nil) }
                try db.execute(sql: "UPDATE sweep SET identity = ?, config_directory = ?, overrides = ? WHERE id = 1",
                               arguments: [origin.identity, origin.configDirectory, overrides])
                return (recorded.sweepID, origin)
            }
            try db.execute(sql: """
                INSERT INTO sweep (id, sweep_id, config_hash, created_at, identity, config_directory, overrides)
                VALUES (1, ?, ?, ?, ?, ?, ?)
                """, arguments: [sweepID, legacyHash, Self.now(), origin.identity, origin.configDirectory, overrides])
            return (sweepID, origin)
        }
    }

    /// The sweep row, decoded and checked (nil when it is missing).
    private func recorded(_ db: Database) throws -> (sweepID: String, configHash: String, origin: SweepOrigin?)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM sweep WHERE id = 1") else { return nil }
        let cells = StoredRow(row: row, path: path, table: "sweep", key: 1)
        let id = try cells.text("sweep_id", nonEmpty: true)!
        let hash = try cells.text("config_hash")!
        guard let identity = try cells.text("identity", optional: true, nonEmpty: true) else { return (id, hash, nil) }
        guard let directory = try cells.text("config_directory", optional: true, nonEmpty: true) else {
            throw cells.failure("config_directory", "is NULL beside a recorded identity; valid: the folder the config's relative paths were taken from")
        }
        return (id, hash, SweepOrigin(identity: identity, configDirectory: directory, overrides: try cells.texts("overrides")))
    }

    /// The run_cap the sweep was extended to (`resume RUN_DIR --set sweep.run_cap=N`), if it was.
    public func extendedRunCap() throws -> Int? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT run_cap FROM sweep WHERE id = 1") else { return nil }
            return try StoredRow(row: row, path: path, table: "sweep", key: 1).int("run_cap", in: 1...Int(Int32.max), optional: true)
        }
    }

    /// Records a larger run_cap for the sweep; its identity stays as it is.
    public func extend(runCap: Int) throws {
        try write { db in try db.execute(sql: "UPDATE sweep SET run_cap = ? WHERE id = 1", arguments: [runCap]) }
    }

    /// The recorded origin, when the folder has one (nil for an older sweep).
    public func origin() throws -> SweepOrigin? {
        try read { db in try self.recorded(db)?.origin }
    }

    /// Adds pending trials for `configurations` (stored in canonical form, so a configuration
    /// already present is refused by the UNIQUE constraint whatever its spelling, where the store
    /// has one); returns their ids. With `asMembers` (population-based training; default false)
    /// each is also recorded as a member of generation 0, in the same write.
    public func addTrials(_ configurations: [Configuration], asMembers: Bool = false) throws -> [Int] {
        try write { db in
            var ids: [Int] = []
            for c in configurations {
                let stamp = Self.now()
                let text = ConfigurationJSON.encode(c.mapValues(\.canonical))
                try db.execute(sql: "INSERT INTO trial (status, configuration, created_at, updated_at) VALUES ('pending', ?, ?, ?)",
                               arguments: [text, stamp, stamp])
                ids.append(Int(db.lastInsertedRowID))
                if asMembers {
                    try db.execute(sql: "INSERT INTO lineage (generation, trial_id, source_id, configuration) VALUES (0, ?, NULL, ?)",
                                   arguments: [ids.last!, text])
                }
            }
            return ids
        }
    }

    /// Applies `event` to trial `id` if it is in `status`, through `TrialLifecycle.transition`:
    /// the new status and every effect in one write, made only while the trial still is in
    /// `status`. Returns the transition applied, or nil when the trial is no longer in `status`
    /// (or is gone): it moved on, and nothing changes. Throws `TrialTransitionError` when the
    /// event cannot happen in `status`, or when the trial still is in `status` and the write
    /// changed nothing — a mistake of the caller, never a state of the sweep.
    public func apply(_ event: TrialEvent, to id: Int, from status: TrialStatus) throws -> TrialTransition? {
        try write { db in try Self.apply(event, to: id, from: status, in: db) }
    }

    /// `apply` of each (trial, event) from `status`, all in one write: every trial still in
    /// `status` moves, or (on an error) none does. Returns the transitions applied.
    public func applyAll(_ events: [(id: Int, event: TrialEvent)], from status: TrialStatus) throws -> [TrialTransition] {
        try write { db in try events.compactMap { try Self.apply($0.event, to: $0.id, from: status, in: db) } }
    }

    /// `apply` inside the write `db`.
    private static func apply(_ event: TrialEvent, to id: Int, from status: TrialStatus, in db: Database) throws -> TrialTransition? {
        guard let transition = TrialLifecycle.transition(from: status, on: event) else {
            throw TrialTransitionError(trial: id, status: status, event: event.name)
        }
        var assignments = ["status = ?", "updated_at = ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [transition.to.rawValue, Self.now()]
        for effect in transition.effects {
            switch effect {
            case .countAttempt: assignments += ["attempts = attempts + 1", "pid = NULL", "drain_deadline = NULL"]
            case .recordStopRequest: assignments.append("stop_requested = 1")
            case .recordPauseRequest(let rung):
                assignments += ["stop_requested = 1", "pause_rung = ?"]
                arguments.append(rung)
            case .recordDrainDeadline(let deadline):
                assignments.append("drain_deadline = ?")
                arguments.append(deadline)
            case .endAttempt: assignments += ["pid = NULL", "drain_deadline = NULL"]
            case .recordResult(let metric, let metrics):
                assignments += ["metric = ?", "final_metrics = ?"]
                arguments += [metric.flatMap { $0.isFinite ? $0 : nil }, Self.json(metrics)]
            case .recordFailure(let failure):
                assignments += ["failures = failures + 1", "error = ?", "reason = ?"]
                arguments += [failure.error, failure.reason]
            case .withdrawStopRequest: assignments += ["stop_requested = 0", "pause_rung = NULL"]
            case .countPromotion: assignments.append("promotions = promotions + 1")
            case .recordConfiguration(let configuration):
                assignments.append("configuration = ?")
                arguments.append(ConfigurationJSON.encode(configuration.mapValues(\.canonical)))
            case .clearReason: assignments.append("reason = NULL")
            case .countLostSupervisor: assignments.append("lost_supervisors = lost_supervisors + 1")
            case .resetLostSupervisors: assignments.append("lost_supervisors = 0")
            }
        }
        let sql = "UPDATE trial SET \(assignments.joined(separator: ", ")) WHERE id = ? AND status = ?"
        try db.execute(sql: sql, arguments: StatementArguments(arguments + [id, status.rawValue]))
        if db.changesCount == 1 { return transition }
        let stored = try String.fetchOne(db, sql: "SELECT status FROM trial WHERE id = ?", arguments: [id])
        if stored == status.rawValue { throw TrialTransitionError(trial: id, status: status, event: event.name) }
        return nil
    }

    /// The number of launches of trial `id` so far (its current attempt's number while it runs).
    public func attempts(_ id: Int) throws -> Int? {
        try read { db in try Int.fetchOne(db, sql: "SELECT attempts FROM trial WHERE id = ?", arguments: [id]) }
    }

    /// Records the process id of a running trial's supervisor (a trial no longer running keeps none).
    public func setPID(_ id: Int, pid: Int32) throws {
        try write { db in
            try db.execute(sql: "UPDATE trial SET pid = ? WHERE id = ? AND status = 'running'", arguments: [Int(pid), id])
        }
    }

    /// Stores (or replaces) one epoch's metrics of a trial.
    public func recordEpoch(_ id: Int, epoch: Int, metrics: [String: Double]) throws {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO epoch_metric (trial_id, epoch, metrics) VALUES (?, ?, ?)",
                           arguments: [id, epoch, Self.json(metrics)])
        }
    }

    /// The highest epoch recorded for a trial, if any.
    public func lastEpoch(_ id: Int) throws -> Int? {
        try read { db in try Int.fetchOne(db, sql: "SELECT MAX(epoch) FROM epoch_metric WHERE trial_id = ?", arguments: [id]) }
    }

    /// Forgets a trial's reported epochs (a program trial's new attempt reports them again); with
    /// `afterStep`, only those whose `step` is past it (a training trial resumed from the checkpoint
    /// of that step reports them again; epochs without a step go too).
    public func clearEpochs(_ id: Int, afterStep: Int? = nil) throws {
        try write { db in
            guard let afterStep else {
                try db.execute(sql: "DELETE FROM epoch_metric WHERE trial_id = ?", arguments: [id])
                return
            }
            let rows = try Row.fetchAll(db, sql: "SELECT epoch, metrics FROM epoch_metric WHERE trial_id = ?", arguments: [id])
            for row in rows {
                let text = String.fromDatabaseValue(row["metrics"] as DatabaseValue)   // never traps on a damaged cell
                let step = text.flatMap { numericFields(ofJSONLine: $0)?["step"] }
                guard step.map({ $0 > Double(afterStep) }) ?? true else { continue }
                try db.execute(sql: "DELETE FROM epoch_metric WHERE trial_id = ? AND epoch = ?", arguments: [id, row["epoch"] as DatabaseValue])
            }
        }
    }

    /// Forgets a trial's reported epochs past `afterEpoch` (a program's population member reports
    /// its generation's epochs again).
    public func clearEpochs(_ id: Int, afterEpoch: Int) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM epoch_metric WHERE trial_id = ? AND epoch > ?", arguments: [id, afterEpoch])
        }
    }

    /// Every trial, by id; every stored value is checked (a wrong type or an out-of-range value
    /// is a `SweepStoreError` naming the trial and column).
    public func trials() throws -> [TrialRecord] {
        try read { db in
            // A store read without bringing it up to date (`init(readingOnly:)`) may lack these.
            let pausing = try db.columns(in: "trial").contains { $0.name == "promotions" }
            return try Row.fetchAll(db, sql: "SELECT * FROM trial ORDER BY id").map { row in
                let key: DatabaseValue = row["id"]
                let cells = StoredRow(row: row, path: path, table: "trial", key: Int64.fromDatabaseValue(key).map(Int.init))
                let id = try cells.int("id", in: 1...Int(Int32.max))!
                let statusText = try cells.text("status")!
                guard let status = TrialStatus(rawValue: statusText) else {
                    throw cells.failure("status", "holds '\(statusText.prefix(40))'; valid: "
                                        + TrialStatus.allCases.map(\.rawValue).joined(separator: ", "))
                }
                let configurationText = try cells.text("configuration")!
                guard let configuration = ConfigurationJSON.decode(configurationText) else {
                    throw cells.failure("configuration", "holds '\(configurationText.prefix(40))', not a JSON object of parameter values")
                }
                let attempts = try cells.int("attempts", in: 0...1_000_000)!
                let failures = try cells.int("failures", in: 0...attempts)!
                let stop = try cells.int("stop_requested", in: 0...1)!
                return TrialRecord(id: id, status: status, configuration: configuration, metric: try cells.finiteDouble("metric"),
                                   attempts: attempts, failures: failures, error: try cells.text("error", optional: true),
                                   pid: try cells.int("pid", in: 1...Int(Int32.max), optional: true),
                                   finalMetrics: try cells.metrics("final_metrics"),
                                   stopRequested: stop == 1, reason: try cells.text("reason", optional: true),
                                   lostSupervisors: try cells.int("lost_supervisors", in: 0...1_000_000)!,
                                   drainDeadline: try cells.finiteDouble("drain_deadline"),
                                   pauseRung: pausing ? try cells.int("pause_rung", in: 0...1_000_000_000, optional: true) : nil,
                                   promotions: pausing ? try cells.int("promotions", in: 0...1_000_000)! : 0)
            }
        }
    }

    /// Per-epoch metrics of every trial: trial id → epoch → metrics. Checked like `trials()`;
    /// a row of a trial the trial table does not hold is refused.
    public func epochMetrics() throws -> [Int: [Int: [String: Double]]] {
        try read { db in
            let known = Set(try Int64.fetchAll(db, sql: "SELECT id FROM trial").map(Int.init))
            var result: [Int: [Int: [String: Double]]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT trial_id, epoch, metrics FROM epoch_metric ORDER BY trial_id, epoch") {
                let key: DatabaseValue = row["trial_id"]
                let cells = StoredRow(row: row, path: path, table: "epoch_metric", key: Int64.fromDatabaseValue(key).map(Int.init))
                let id = try cells.int("trial_id", in: 1...Int(Int32.max))!
                guard known.contains(id) else { throw cells.failure("trial_id", "names trial \(id), which the trial table does not hold") }
                let epoch = try cells.int("epoch", in: 0...1_000_000_000)!
                result[id, default: [:]][epoch] = try cells.metrics("metrics")
            }
            return result
        }
    }
}

extension SweepStore {
    /// Every trial (as `trials()`), each configuration checked to give a value to every
    /// parameter of `space`: a trial missing one is a `SweepStoreError` naming it.
    public func checkedTrials(space: SearchSpace) throws -> [TrialRecord] {
        let trials = try trials()
        let names = space.parameters.map(\.name)
        for t in trials {
            if let missing = names.first(where: { t.configuration[$0] == nil }) {
                throw SweepStoreError(path: path, table: "trial", row: t.id, column: "configuration",
                                      message: "has no value for the parameter '\(missing)'; valid: a JSON object with a value for each of "
                                        + names.joined(separator: ", "))
            }
        }
        return trials
    }

    /// Every trial as the search strategies and early termination see it: configurations in the
    /// form `space` declares (a stored 1 is the listed 1.0), intermediate values of `metricName`
    /// by epoch. An epoch reported without a finite `metricName` (a non-finite value is stored
    /// as missing) is NaN, the worst value for early termination and search alike.
    public func observations(space: SearchSpace, metricName: String) throws -> [TrialObservation] {
        let epochs = try epochMetrics()
        return try trials().map { t in
            var intermediate: [Int: Double] = [:]
            for (epoch, metrics) in epochs[t.id] ?? [:] { intermediate[epoch] = metrics[metricName] ?? .nan }
            return TrialObservation(id: t.id, configuration: space.normalized(t.configuration), status: t.status,
                                    metric: t.metric, intermediate: intermediate)
        }
    }
}
