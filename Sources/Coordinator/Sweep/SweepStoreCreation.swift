// SweepStoreCreation: how a new sweep's store comes to exist — its schema and sweep row made
// all at once under a temporary name — and SQLite's own errors turned into SweepStoreErrors.
import Foundation
import GRDB
import Model

extension SweepStore {
    /// The tables and columns every sweep store has had since the first release.
    static let schema: [(table: String, columns: [String])] = [
        ("sweep", ["id", "sweep_id", "config_hash", "created_at"]),
        ("trial", ["id", "status", "configuration", "metric", "attempts", "failures", "error", "pid", "final_metrics",
                   "created_at", "updated_at"]),
        ("epoch_metric", ["trial_id", "epoch", "metrics"]),
    ]

    static var configuration: GRDB.Configuration {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(10)
        return configuration
    }

    /// The lineage of population-based training: each member's hyperparameters in each
    /// generation, and the member whose checkpoint it continued from (NULL: its own).
    static let lineageTable = """
        CREATE TABLE IF NOT EXISTS lineage (
            generation INTEGER NOT NULL,
            trial_id INTEGER NOT NULL REFERENCES trial(id),
            source_id INTEGER REFERENCES trial(id),
            configuration TEXT NOT NULL,
            PRIMARY KEY (generation, trial_id))
        """

    /// Creates the store of a new sweep at `path` with its schema and its sweep row (`sweepID`,
    /// `origin`, default none, and `legacyHash`, the config text's hash), all at once: the file is
    /// built under a temporary name and renamed into place, so a crash never leaves a store
    /// without its tables. Refuses a `path` that already exists. Without `uniqueConfigurations`
    /// (population-based training, whose members may come to share hyperparameters; default
    /// true) two trials may hold the same configuration.
    public static func create(path: String, sweepID: String = UUID().uuidString, origin: SweepOrigin? = nil,
                              legacyHash: String = "", uniqueConfigurations: Bool = true) throws -> SweepStore {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw SweepStoreError(path: path, message: "already exists; a new sweep's store is never made over an old one")
        }
        let temporary = path + ".new"
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temporary + suffix) }
        try access(path) {
            let queue = try DatabaseQueue(path: temporary)
            try queue.write { db in
                try db.execute(sql: """
                    CREATE TABLE sweep (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        sweep_id TEXT NOT NULL,
                        config_hash TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        identity TEXT, config_directory TEXT, overrides TEXT, run_cap INTEGER);
                    CREATE TABLE trial (
                        id INTEGER PRIMARY KEY,
                        status TEXT NOT NULL,
                        configuration TEXT NOT NULL\(uniqueConfigurations ? " UNIQUE" : ""),
                        metric REAL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        failures INTEGER NOT NULL DEFAULT 0,
                        error TEXT,
                        pid INTEGER,
                        final_metrics TEXT NOT NULL DEFAULT '{}',
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL,
                        stop_requested INTEGER NOT NULL DEFAULT 0,
                        reason TEXT,
                        lost_supervisors INTEGER NOT NULL DEFAULT 0,
                        drain_deadline REAL,
                        pause_rung INTEGER,
                        promotions INTEGER NOT NULL DEFAULT 0);
                    CREATE TABLE epoch_metric (
                        trial_id INTEGER NOT NULL REFERENCES trial(id),
                        epoch INTEGER NOT NULL,
                        metrics TEXT NOT NULL,
                        PRIMARY KEY (trial_id, epoch));
                    """)
                try db.execute(sql: lineageTable)
                let overrides = origin.map { String(decoding: (try? JSONEncoder().encode($0.overrides)) ?? Data("[]".utf8), as: UTF8.self) }
                try db.execute(sql: """
                    INSERT INTO sweep (id, sweep_id, config_hash, created_at, identity, config_directory, overrides)
                    VALUES (1, ?, ?, ?, ?, ?, ?)
                    """, arguments: [sweepID, legacyHash, now(), origin?.identity, origin?.configDirectory, overrides])
            }
            try queue.close()
        }
        do { try DurableFile.publish(temporary, as: path) } catch let error as DurableFileError {
            throw SweepStoreError(path: path, message: "cannot be created: \(error.problem)")
        }
        return try SweepStore(path: path)
    }

    /// Runs `body`, turning SQLite's errors that mean a damaged store (not a database, malformed,
    /// no such table or column, a constraint broken) into a `SweepStoreError` naming the store;
    /// others (busy, disk full, read-only, I/O) pass on as they are: the store may be sound.
    static func access<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_ERROR, .SQLITE_CONSTRAINT,
                                                  .SQLITE_MISMATCH, .SQLITE_FORMAT, .SQLITE_RANGE].contains(error.resultCode) {
            throw SweepStoreError(path: path, message: "cannot be used: \(error.message ?? "SQLite error") (SQLite code \(error.resultCode.rawValue))")
        } catch let error as RowDecodingError {
            throw SweepStoreError(path: path, message: "holds a value of the wrong type: \(error)")
        } catch let error as DatabaseError where [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM].contains(error.resultCode) {
            throw SweepStoreError(path: path, message: "cannot be "
                + (error.resultCode == .SQLITE_CANTOPEN ? "opened" : "written") + ": \(error.message ?? "SQLite error") (SQLite code \(error.resultCode.rawValue)); "
                + "a read-only disk or folder? `ringtrain status` and `ringtrain report --no-save` only read it")
        }
    }
}
