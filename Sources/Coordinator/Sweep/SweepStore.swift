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

    /// Opens (creating if needed) `path` and its schema.
    public init(path: String) throws {
        self.path = path
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS sweep (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    sweep_id TEXT NOT NULL,
                    config_hash TEXT NOT NULL,
                    created_at TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS trial (
                    id INTEGER PRIMARY KEY,
                    status TEXT NOT NULL,
                    configuration TEXT NOT NULL UNIQUE,
                    metric REAL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    failures INTEGER NOT NULL DEFAULT 0,
                    error TEXT,
                    pid INTEGER,
                    final_metrics TEXT NOT NULL DEFAULT '{}',
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS epoch_metric (
                    trial_id INTEGER NOT NULL REFERENCES trial(id),
                    epoch INTEGER NOT NULL,
                    metrics TEXT NOT NULL,
                    PRIMARY KEY (trial_id, epoch));
                """)
            // Columns added after the first release; older sweep folders gain them here.
            try Self.addColumns(db, table: "sweep", ["identity TEXT", "config_directory TEXT", "overrides TEXT"])
            try Self.addColumns(db, table: "trial", ["stop_requested INTEGER NOT NULL DEFAULT 0", "reason TEXT"])
        }
    }

    private static func addColumns(_ db: Database, table: String, _ columns: [String]) throws {
        let existing = Set(try db.columns(in: table).map(\.name))
        for column in columns where !existing.contains(String(column.split(separator: " ")[0])) {
            try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(column)")
        }
    }

    private static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    private static func json(_ metrics: [String: Double]) -> String {
        (try? JSONSerialization.data(withJSONObject: metrics.filter { $0.value.isFinite }, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The sweep's id and origin as first recorded; records the given ones when the sweep is
    /// new. A sweep folder made before origins were recorded gets `origin` when its recorded
    /// text hash equals `legacyHash` (the same config), and is returned with a nil origin otherwise.
    public func claim(sweepID: String, origin: SweepOrigin, legacyHash: String) throws -> (sweepID: String, origin: SweepOrigin?) {
        try pool.write { db in
            let overrides = String(decoding: try JSONEncoder().encode(origin.overrides), as: UTF8.self)
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM sweep WHERE id = 1") {
                let id: String = row["sweep_id"]
                if let identity: String = row["identity"] {
                    let directory: String = row["config_directory"] ?? origin.configDirectory
                    let recorded = (row["overrides"] as String?).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
                    return (id, SweepOrigin(identity: identity, configDirectory: directory, overrides: recorded))
                }
                guard row["config_hash"] as String == legacyHash else { return (id, nil) }
                try db.execute(sql: "UPDATE sweep SET identity = ?, config_directory = ?, overrides = ? WHERE id = 1",
                               arguments: [origin.identity, origin.configDirectory, overrides])
                return (id, origin)
            }
            try db.execute(sql: """
                INSERT INTO sweep (id, sweep_id, config_hash, created_at, identity, config_directory, overrides)
                VALUES (1, ?, ?, ?, ?, ?, ?)
                """, arguments: [sweepID, legacyHash, Self.now(), origin.identity, origin.configDirectory, overrides])
            return (sweepID, origin)
        }
    }

    /// The recorded origin, when the folder has one (nil for a new store or an older sweep).
    public func origin() throws -> SweepOrigin? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM sweep WHERE id = 1"),
                  let identity: String = row["identity"], let directory: String = row["config_directory"] else { return nil }
            let overrides = (row["overrides"] as String?).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
            return SweepOrigin(identity: identity, configDirectory: directory, overrides: overrides)
        }
    }

    /// Adds pending trials for `configurations` (stored in canonical form, so a configuration
    /// already present is refused by the UNIQUE constraint whatever its spelling); returns their ids.
    public func addTrials(_ configurations: [Configuration]) throws -> [Int] {
        try pool.write { db in
            var ids: [Int] = []
            for c in configurations {
                let stamp = Self.now()
                try db.execute(sql: "INSERT INTO trial (status, configuration, created_at, updated_at) VALUES ('pending', ?, ?, ?)",
                               arguments: [ConfigurationJSON.encode(c.mapValues(\.canonical)), stamp, stamp])
                ids.append(Int(db.lastInsertedRowID))
            }
            return ids
        }
    }

    /// Marks a trial as being launched (attempts + 1), before its process exists, so a
    /// coordinator that dies right after the launch still knows to look for the process.
    /// Returns the attempt's number (1 for the first launch).
    public func markRunning(_ id: Int) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "UPDATE trial SET status = 'running', attempts = attempts + 1, pid = NULL, updated_at = ? WHERE id = ?",
                           arguments: [Self.now(), id])
            return try Int.fetchOne(db, sql: "SELECT attempts FROM trial WHERE id = ?", arguments: [id]) ?? 1
        }
    }

    /// Records early termination's decision to stop a running trial, before it is signalled.
    public func requestStop(_ id: Int) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE trial SET stop_requested = 1, updated_at = ? WHERE id = ?", arguments: [Self.now(), id])
        }
    }

    /// Records the process id of a running trial's supervisor.
    public func setPID(_ id: Int, pid: Int32) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE trial SET pid = ? WHERE id = ?", arguments: [Int(pid), id])
        }
    }

    /// Records a trial's end as finished or stopped, with its metric.
    public func finish(_ id: Int, status: TrialStatus, metric: Double?, finalMetrics: [String: Double] = [:]) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE trial SET status = ?, metric = ?, final_metrics = ?, pid = NULL, updated_at = ? WHERE id = ?
                """, arguments: [status.rawValue, metric.flatMap { $0.isFinite ? $0 : nil }, Self.json(finalMetrics), Self.now(), id])
        }
    }

    /// Puts a trial back in line: `interrupted` after an explicit stop or a lost supervisor
    /// (`failed == false`, not counted), or `pending` for a retry after a failed attempt
    /// (counted, with its error and named reason).
    public func requeue(_ id: Int, failed: Bool, error: String? = nil, reason: String? = nil) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE trial SET status = ?, pid = NULL, stop_requested = 0, failures = failures + ?,
                error = COALESCE(?, error), reason = ?, updated_at = ? WHERE id = ?
                """, arguments: [failed ? "pending" : "interrupted", failed ? 1 : 0, error, reason, Self.now(), id])
        }
    }

    /// Records a failed last attempt: the trial ends as failed (with a named `reason` such as
    /// `timeout`, when there is one).
    public func fail(_ id: Int, error: String, reason: String? = nil) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE trial SET status = 'failed', pid = NULL, failures = failures + 1, error = ?, reason = ?,
                updated_at = ? WHERE id = ?
                """, arguments: [error, reason, Self.now(), id])
        }
    }

    /// Stores (or replaces) one epoch's metrics of a trial.
    public func recordEpoch(_ id: Int, epoch: Int, metrics: [String: Double]) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO epoch_metric (trial_id, epoch, metrics) VALUES (?, ?, ?)",
                           arguments: [id, epoch, Self.json(metrics)])
        }
    }

    /// The highest epoch recorded for a trial, if any.
    public func lastEpoch(_ id: Int) throws -> Int? {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT MAX(epoch) FROM epoch_metric WHERE trial_id = ?", arguments: [id]) }
    }

    /// Forgets a trial's reported epochs (a program trial's new attempt reports them again).
    public func clearEpochs(_ id: Int) throws {
        try pool.write { db in try db.execute(sql: "DELETE FROM epoch_metric WHERE trial_id = ?", arguments: [id]) }
    }

    /// Every trial, by id.
    public func trials() throws -> [TrialRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM trial ORDER BY id").map { row in
                TrialRecord(id: row["id"], status: TrialStatus(rawValue: row["status"]) ?? .failed,
                            configuration: ConfigurationJSON.decode(row["configuration"]) ?? [:],
                            metric: row["metric"], attempts: row["attempts"], failures: row["failures"],
                            error: row["error"], pid: row["pid"],
                            finalMetrics: Self.decodeMetrics(row["final_metrics"]),
                            stopRequested: (row["stop_requested"] as Int?) == 1, reason: row["reason"])
            }
        }
    }

    /// Per-epoch metrics of every trial: trial id → epoch → metrics.
    public func epochMetrics() throws -> [Int: [Int: [String: Double]]] {
        try pool.read { db in
            var result: [Int: [Int: [String: Double]]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT trial_id, epoch, metrics FROM epoch_metric ORDER BY trial_id, epoch") {
                result[row["trial_id"], default: [:]][row["epoch"]] = Self.decodeMetrics(row["metrics"])
            }
            return result
        }
    }

    static func decodeMetrics(_ text: String?) -> [String: Double] {
        guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }
}

extension SweepStore {
    /// Every trial as the search strategies and early termination see it: configurations in the
    /// form `space` declares (a stored 1 is the listed 1.0), intermediate values of `metricName`
    /// by epoch.
    public func observations(space: SearchSpace, metricName: String) throws -> [TrialObservation] {
        let epochs = try epochMetrics()
        return try trials().map { t in
            var intermediate: [Int: Double] = [:]
            for (epoch, metrics) in epochs[t.id] ?? [:] { if let v = metrics[metricName] { intermediate[epoch] = v } }
            return TrialObservation(id: t.id, configuration: space.normalized(t.configuration), status: t.status,
                                    metric: t.metric, intermediate: intermediate)
        }
    }
}
