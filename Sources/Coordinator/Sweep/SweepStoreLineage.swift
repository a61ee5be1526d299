// SweepStoreLineage: population-based training's lineage in sweep.sqlite — each member's
// hyperparameters in each generation and whose checkpoint it continued from — read back checked,
// and a generation's decisions recorded all in one write.
import Foundation
import GRDB

/// One member in one generation of population-based training.
public struct LineageEntry: Sendable, Equatable {
    /// The generation (0 is the first).
    public var generation: Int
    /// The member's trial id.
    public var trial: Int
    /// The member whose checkpoint it continued from at the generation's start; nil: its own
    /// (always nil in generation 0).
    public var source: Int?
    /// The hyperparameters it trained the generation with.
    public var configuration: Configuration
}

extension SweepStore {
    /// Every recorded (generation, member), by generation then trial; empty for a sweep that is
    /// not population-based training (or a store from before it). Checked like `trials()`.
    public func lineage() throws -> [LineageEntry] {
        try read { db in
            guard try db.tableExists("lineage") else { return [] }
            let known = Set(try Int64.fetchAll(db, sql: "SELECT id FROM trial").map(Int.init))
            return try Row.fetchAll(db, sql: "SELECT * FROM lineage ORDER BY generation, trial_id").map { row in
                let key: DatabaseValue = row["trial_id"]
                let cells = StoredRow(row: row, path: path, table: "lineage", key: Int64.fromDatabaseValue(key).map(Int.init))
                let generation = try cells.int("generation", in: 0...1_000_000)!
                let trial = try cells.int("trial_id", in: 1...Int(Int32.max))!
                let source = try cells.int("source_id", in: 1...Int(Int32.max), optional: true)
                for id in [trial] + (source.map { [$0] } ?? []) where !known.contains(id) {
                    throw cells.failure(id == trial ? "trial_id" : "source_id", "names trial \(id), which the trial table does not hold")
                }
                let text = try cells.text("configuration")!
                guard let configuration = ConfigurationJSON.decode(text) else {
                    throw cells.failure("configuration", "holds '\(text.prefix(40))', not a JSON object of parameter values")
                }
                return LineageEntry(generation: generation, trial: trial, source: source, configuration: configuration)
            }
        }
    }

    /// Records that member `trial` goes on from its own checkpoint with its own `configuration` in
    /// `generation` after all (the member it was to copy had no checkpoint that verifies).
    public func keepOwn(generation: Int, trial: Int, configuration: Configuration) throws {
        try write { db in
            try db.execute(sql: "UPDATE lineage SET source_id = NULL, configuration = ? WHERE generation = ? AND trial_id = ?",
                           arguments: [ConfigurationJSON.encode(configuration.mapValues(\.canonical)), generation, trial])
        }
    }

    /// Records the decisions that start generation `generation`, all in one write; false (and
    /// nothing written) when that generation is recorded already.
    @discardableResult
    public func recordGeneration(_ generation: Int, _ decisions: [PopulationDecision]) throws -> Bool {
        try write { db in
            let recorded = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM lineage WHERE generation = ?", arguments: [generation]) ?? 0
            guard recorded == 0 else { return false }
            for d in decisions {
                try db.execute(sql: "INSERT INTO lineage (generation, trial_id, source_id, configuration) VALUES (?, ?, ?, ?)",
                               arguments: [generation, d.id, d.source, ConfigurationJSON.encode(d.configuration.mapValues(\.canonical))])
            }
            return true
        }
    }
}
