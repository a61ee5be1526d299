// Sweep store fuzz through the commands: one tiny finished program sweep, copied per case and
// damaged (SQL edits, truncation, dropped tables and rows, WAL/SHM files), then report and resume.
import Coordinator
import Foundation
import Testing

@Suite(.serialized)
struct SweepStoreFuzzTests {
    /// What a damaged copy must lead to.
    enum Expected: Sendable { case refused, accepted, either }

    /// One way of damaging a finished sweep's folder.
    struct Damage: Sendable, CustomStringConvertible {
        let name: String
        let sql: String?
        let expected: Expected
        /// What a refusal names (checked in both commands' messages), when it must name something.
        var names: String? = nil
        var file: (@Sendable (String) throws -> Void)? = nil
        var description: String { name }
    }

    static func sql(_ name: String, _ sql: String, _ expected: Expected = .refused, names: String? = nil) -> Damage {
        Damage(name: name, sql: sql, expected: expected, names: names)
    }

    static func file(_ name: String, _ expected: Expected, names: String? = nil, _ edit: @escaping @Sendable (String) throws -> Void) -> Damage {
        Damage(name: name, sql: nil, expected: expected, names: names, file: edit)
    }

    static func truncate(_ path: String, to size: off_t) { _ = Glibc.truncate(path, size) }

    static let cases: [Damage] = [
        // trial: every column with a wrong type or an out-of-range value.
        sql("metric text", "UPDATE trial SET metric = 'abc' WHERE id = 1", names: "row 1, column metric"),
        sql("metric blob", "UPDATE trial SET metric = x'00ff' WHERE id = 2", names: "row 2, column metric"),
        sql("attempts text", "UPDATE trial SET attempts = 'many' WHERE id = 1", names: "row 1, column attempts"),
        sql("attempts negative", "UPDATE trial SET attempts = -1 WHERE id = 1", names: "column attempts"),
        sql("attempts huge", "UPDATE trial SET attempts = 1e300 WHERE id = 1", names: "column attempts"),
        sql("failures text", "UPDATE trial SET failures = 'x' WHERE id = 2", names: "row 2, column failures"),
        sql("failures above attempts", "UPDATE trial SET failures = 99 WHERE id = 1", names: "column failures"),
        sql("status unknown", "UPDATE trial SET status = 'bogus' WHERE id = 1", names: "column status"),
        sql("status number", "UPDATE trial SET status = 5 WHERE id = 1", names: "column status"),
        sql("configuration not JSON", "UPDATE trial SET configuration = 'x=1' WHERE id = 1", names: "column configuration"),
        sql("configuration empty object", "UPDATE trial SET configuration = '{}' WHERE id = 2", names: "column configuration"),
        sql("configuration array", "UPDATE trial SET configuration = '[1]' WHERE id = 2", names: "column configuration"),
        sql("error blob", "UPDATE trial SET error = x'01' WHERE id = 1", names: "column error"),
        sql("pid text", "UPDATE trial SET pid = 'p' WHERE id = 1", names: "column pid"),
        sql("pid zero", "UPDATE trial SET pid = 0 WHERE id = 1", names: "column pid"),
        sql("pid negative", "UPDATE trial SET pid = -5 WHERE id = 1", names: "column pid"),
        sql("final_metrics not JSON", "UPDATE trial SET final_metrics = 'nope' WHERE id = 1", names: "column final_metrics"),
        sql("final_metrics text value", "UPDATE trial SET final_metrics = '{\"score\": \"a\"}' WHERE id = 1", names: "column final_metrics"),
        sql("stop_requested 7", "UPDATE trial SET stop_requested = 7 WHERE id = 1", names: "column stop_requested"),
        sql("reason blob", "UPDATE trial SET reason = x'02' WHERE id = 1", names: "column reason"),
        sql("id zero", "UPDATE trial SET id = 0 WHERE id = 1"),
        sql("id moved", "UPDATE trial SET id = 7 WHERE id = 2"),
        // epoch_metric.
        sql("epoch text", "UPDATE epoch_metric SET epoch = 'e' WHERE trial_id = 1 AND epoch = 1", names: "column epoch"),
        sql("epoch negative", "UPDATE epoch_metric SET epoch = -1 WHERE trial_id = 1 AND epoch = 1", names: "column epoch"),
        sql("epoch metrics not JSON", "UPDATE epoch_metric SET metrics = '{' WHERE trial_id = 2", names: "column metrics"),
        sql("epoch of no trial", "UPDATE epoch_metric SET trial_id = 99 WHERE trial_id = 2", names: "column trial_id"),
        // sweep.
        sql("sweep_id empty", "UPDATE sweep SET sweep_id = ''", names: "column sweep_id"),
        sql("sweep_id blob", "UPDATE sweep SET sweep_id = x'00'", names: "column sweep_id"),
        sql("identity changed", "UPDATE sweep SET identity = 'other'"),
        sql("config_directory NULL", "UPDATE sweep SET config_directory = NULL", names: "column config_directory"),
        sql("run_cap text", "UPDATE sweep SET run_cap = 'x'", names: "column run_cap"),
        sql("run_cap negative", "UPDATE sweep SET run_cap = -3", names: "column run_cap"),
        sql("overrides not JSON", "UPDATE sweep SET overrides = 'x'", names: "column overrides"),
        // Deleted tables, columns and rows.
        sql("trial table dropped", "DROP TABLE trial", names: "table trial"),
        sql("epoch_metric table dropped", "DROP TABLE epoch_metric", names: "table epoch_metric"),
        sql("sweep table dropped", "DROP TABLE sweep", names: "table sweep"),
        sql("every table dropped", "DROP TABLE trial; DROP TABLE epoch_metric; DROP TABLE sweep", names: "table"),
        sql("metric column dropped", "ALTER TABLE trial DROP COLUMN metric", names: "column metric"),
        sql("sweep row deleted", "DELETE FROM sweep", names: "table sweep, row 1"),
        sql("last trial deleted", "DELETE FROM epoch_metric WHERE trial_id = 2; DELETE FROM trial WHERE id = 2", names: "row 2"),
        sql("every trial deleted", "DELETE FROM epoch_metric; DELETE FROM trial", names: "row 1"),
        // Edits that keep the store valid.
        sql("epochs deleted", "DELETE FROM epoch_metric", .accepted),
        sql("metric as numeric text", "UPDATE trial SET metric = '0.25' WHERE id = 1", .accepted),
        sql("error as number", "UPDATE trial SET error = 42 WHERE id = 1", .accepted),
        // The file itself.
        file("emptied (0 bytes)", .refused, names: "0 bytes") { truncate($0, to: 0) },
        file("truncated to 100 bytes", .refused) { truncate($0, to: 100) },
        file("truncated to one page", .either) { truncate($0, to: 4096) },
        file("header overwritten", .refused) { path in
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.write(contentsOf: Data(repeating: 0x5a, count: 64))
            try handle.close()
        },
        file("store removed", .refused, names: "sweep.sqlite") { unlink($0) },
        file("store removed, WAL left", .refused, names: "sweep.sqlite") { path in
            unlink(path)
            FileManager.default.createFile(atPath: path + "-wal", contents: Data())
        },
        file("empty WAL and SHM", .accepted) { path in
            for suffix in ["-wal", "-shm"] { FileManager.default.createFile(atPath: path + suffix, contents: Data()) }
        },
        file("garbage WAL", .either) { path in
            FileManager.default.createFile(atPath: path + "-wal", contents: Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        },
        file("garbage SHM", .either) { path in
            FileManager.default.createFile(atPath: path + "-shm", contents: Data(repeating: 0xa5, count: 32768))
        },
        file("stale WAL of another store", .either) { path in
            // A WAL written against a different database of the same schema, left beside this one.
            let other = path + ".other"
            try FileManager.default.copyItem(atPath: path, toPath: other)
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            writer.arguments = ["-c", """
                import sqlite3, shutil, sys
                c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL'); c.execute("UPDATE trial SET metric = 123.0")
                c.commit(); shutil.copy(sys.argv[1] + '-wal', sys.argv[2] + '-wal'); c.close()
                """, other, path]
            try writer.run()
            writer.waitUntilExit()
        },
        file("sweep.yaml removed", .refused, names: "sweep.yaml") { path in unlink((path as NSString).deletingLastPathComponent + "/sweep.yaml") },
        file("sweep.yaml edited", .refused) { path in
            let config = (path as NSString).deletingLastPathComponent + "/sweep.yaml"
            let text = try String(contentsOfFile: config, encoding: .utf8)
            try text.replacingOccurrences(of: "run_cap: 2", with: "run_cap: 3").write(toFile: config, atomically: false, encoding: .utf8)
        },
    ]

    /// The finished sweep every case starts from (made once).
    static let pristine: Result<String, any Error> = Result {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try SweepHarness.gridConfig(in: dir)
        let result = try SweepHarness.run(["sweep", config, "--run-dir", dir + "/run"], mark: UUID().uuidString)
        guard result.status == 0 else { throw ConfigError(file: dir, keyPath: "", message: "the pristine sweep failed: \(result.output)") }
        return dir + "/run"
    }

    /// Counts over all cases (printed by the last test of the suite).
    nonisolated(unsafe) static var counts = (cases: 0, refused: 0, accepted: 0)

    @Test(arguments: cases)
    func aDamagedStoreIsReadOrRefusedNeverCrashedOrRunAgain(_ damage: Damage) throws {
        let source = try Self.pristine.get()
        let run = try TrainingFixtures.temporaryDirectory() + "/run"
        try FileManager.default.copyItem(atPath: source, toPath: run)
        let store = run + "/sweep.sqlite"
        if let sql = damage.sql {
            let edit = try ProcessRunner.run("/usr/bin/sqlite3", [store, sql], timeout: 30)
            try #require(edit.status == 0, "sqlite3: \(edit.output)")
        }
        try damage.file?(store)
        let ledger = run + "/../ledger"
        let mark = UUID().uuidString
        var outcomes: [Int32] = []
        for arguments in [["report", run, "--format", "json", "--no-save"], ["resume", run]] {
            let result = try SweepHarness.run(arguments, mark: mark, environment: ["LEDGER": ledger], timeout: 60)
            let label = "\(damage.name): \(arguments[0])"
            #expect(!result.timedOut, "\(label) hung")
            #expect(result.status == 0 || result.status == 2, "\(label) exited \(result.status): \(result.output)")
            #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"), "\(label): \(result.stderr)")
            switch damage.expected {
            case .refused: #expect(result.status == 2, "\(label) should refuse: \(result.output)")
            case .accepted: #expect(result.status == 0, "\(label) should be read: \(result.output)")
            case .either: break
            }
            if result.status == 2 {
                #expect(!result.stderr.isEmpty, "\(label): a refusal says why")
                if let names = damage.names { #expect(result.stderr.contains(names), "\(label) should name \(names): \(result.stderr)") }
            }
            if arguments[0] == "report" && result.status == 0 {
                let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
                let trials = object?["trials"] as? [[String: Any]] ?? []
                #expect(trials.count == 2, "\(label): \(trials.count) trials reported")
            }
            outcomes.append(result.status)
        }
        let reruns = ((try? String(contentsOfFile: ledger, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(reruns.isEmpty, "\(damage.name): trials ran again: \(reruns)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty)
        Self.counts.cases += 1
        if outcomes.contains(2) { Self.counts.refused += 1 } else { Self.counts.accepted += 1 }
        print("store fuzz: \(damage.name): report \(outcomes[0]), resume \(outcomes[1]); so far \(Self.counts)")
    }
}
