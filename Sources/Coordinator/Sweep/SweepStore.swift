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
    /// Launches so far (first run and retries).
    public var attempts: Int
    /// Why the last attempt failed, with the last lines of its log.
    public var error: String?
    /// Process group of the running attempt (to clean up after a coordinator crash).
    public var pid: Int?
    /// Final metrics of the trial (test_acc, ... or the program's JSON).
    public var finalMetrics: [String: Double]
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
                    config_hash TEXT NOT NULL,
                    created_at TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS trial (
                    id INTEGER PRIMARY KEY,
                    status TEXT NOT NULL,
                    configuration TEXT NOT NULL UNIQUE,
                    metric REAL,
                    attempts INTEGER NOT NULL DEFAULT 0,
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
        }
    }

    private static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    /// The config hash the sweep was started with, recording `hash` if the sweep is new.
    public func claim(configHash hash: String) throws -> String {
        try pool.write { db in
            if let existing = try String.fetchOne(db, sql: "SELECT config_hash FROM sweep WHERE id = 1") { return existing }
            try db.execute(sql: "INSERT INTO sweep (id, config_hash, created_at) VALUES (1, ?, ?)", arguments: [hash, Self.now()])
            return hash
        }
    }

    /// Adds pending trials for `configurations`; returns their ids.
    public func addTrials(_ configurations: [Configuration]) throws -> [Int] {
        try pool.write { db in
            var ids: [Int] = []
            for c in configurations {
                let stamp = Self.now()
                try db.execute(sql: "INSERT INTO trial (status, configuration, created_at, updated_at) VALUES ('pending', ?, ?, ?)",
                               arguments: [ConfigurationJSON.encode(c), stamp, stamp])
                ids.append(Int(db.lastInsertedRowID))
            }
            return ids
        }
    }

    /// Marks a trial started (attempts + 1) with its process group.
    public func markRunning(_ id: Int, pid: Int32) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE trial SET status = 'running', attempts = attempts + 1, pid = ?, updated_at = ? WHERE id = ?",
                           arguments: [Int(pid), Self.now(), id])
        }
    }

    /// Records a finished attempt's outcome.
    public func finish(_ id: Int, status: TrialStatus, metric: Double?, finalMetrics: [String: Double] = [:],
                       error: String? = nil) throws {
        let metrics = (try? JSONSerialization.data(withJSONObject: finalMetrics.filter { $0.value.isFinite }, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        try pool.write { db in
            try db.execute(sql: """
                UPDATE trial SET status = ?, metric = ?, final_metrics = ?, error = COALESCE(?, error), pid = NULL,
                updated_at = ? WHERE id = ?
                """, arguments: [status.rawValue, metric.flatMap { $0.isFinite ? $0 : nil }, metrics, error, Self.now(), id])
        }
    }

    /// Puts a trial back to pending (a retry, or a coordinator restart), keeping its error.
    public func requeue(_ id: Int, error: String?) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE trial SET status = 'pending', pid = NULL, error = COALESCE(?, error), updated_at = ? WHERE id = ?",
                           arguments: [error, Self.now(), id])
        }
    }

    /// Stores (or replaces) one epoch's metrics of a trial.
    public func recordEpoch(_ id: Int, epoch: Int, metrics: [String: Double]) throws {
        let text = (try? JSONSerialization.data(withJSONObject: metrics.filter { $0.value.isFinite }, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO epoch_metric (trial_id, epoch, metrics) VALUES (?, ?, ?)",
                           arguments: [id, epoch, text])
        }
    }

    /// Every trial, by id.
    public func trials() throws -> [TrialRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM trial ORDER BY id").map { row in
                TrialRecord(id: row["id"], status: TrialStatus(rawValue: row["status"]) ?? .failed,
                            configuration: ConfigurationJSON.decode(row["configuration"]) ?? [:],
                            metric: row["metric"], attempts: row["attempts"], error: row["error"], pid: row["pid"],
                            finalMetrics: Self.decodeMetrics(row["final_metrics"]))
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
