// SweepStoreCells: reading one stored value of sweep.sqlite by its SQLite storage class, with
// range checks, so a wrong type or an out-of-range value is a SweepStoreError naming its cell.
import Foundation
import GRDB

/// Reads the cells of one row of a sweep store table; every mistake names table, row and column.
struct StoredRow {
    let row: Row
    let path: String
    let table: String
    /// The row's key for messages (the trial id; 1 for the sweep table).
    let key: Int?

    func failure(_ column: String, _ message: String) -> SweepStoreError {
        SweepStoreError(path: path, table: table, row: key, column: column, message: message)
    }

    private func shown(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: return "NULL"
        case .int64(let v): return "the integer \(v)"
        case .double(let v): return "the real \(v)"
        case .string(let s): return "the text '\(s.count > 40 ? String(s.prefix(40)) + "..." : s)'"
        case .blob(let d): return "a blob of \(d.count) bytes"
        }
    }

    /// An integer in `range`; NULL is nil when `optional`.
    func int(_ column: String, in range: ClosedRange<Int>, optional: Bool = false) throws -> Int? {
        let value: DatabaseValue = row[column]
        switch value.storage {
        case .null where optional: return nil
        case .int64(let v) where range.contains(Int(v)): return Int(v)
        case .double(let v) where v.rounded() == v && v >= Double(range.lowerBound) && v <= Double(range.upperBound): return Int(v)
        default:
            throw failure(column, "holds \(shown(value)); valid: an integer from \(range.lowerBound) to \(range.upperBound)"
                          + (optional ? ", or NULL" : ""))
        }
    }

    /// A finite number, or nil for NULL.
    func finiteDouble(_ column: String) throws -> Double? {
        let value: DatabaseValue = row[column]
        switch value.storage {
        case .null: return nil
        case .int64(let v): return Double(v)
        case .double(let v) where v.isFinite: return v
        default: throw failure(column, "holds \(shown(value)); valid: a finite number, or NULL")
        }
    }

    /// A text; NULL is nil when `optional`. `nonEmpty` refuses ''.
    func text(_ column: String, optional: Bool = false, nonEmpty: Bool = false) throws -> String? {
        let value: DatabaseValue = row[column]
        switch value.storage {
        case .null where optional: return nil
        case .string(let s) where !nonEmpty || !s.isEmpty: return s
        default: throw failure(column, "holds \(shown(value)); valid: \(nonEmpty ? "a non-empty" : "a") text" + (optional ? ", or NULL" : ""))
        }
    }

    /// A JSON object of numbers (metrics), e.g. `{"val_acc": 0.9}`.
    func metrics(_ column: String) throws -> [String: Double] {
        let text = try self.text(column) ?? "{}"
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw failure(column, "holds '\(text.prefix(40))', not a JSON object; valid: metrics such as {\"loss\": 0.5}")
        }
        var result: [String: Double] = [:]
        for (name, value) in object {
            guard let number = value as? NSNumber else {
                throw failure(column, "metric '\(name)' is not a number; valid: metrics such as {\"loss\": 0.5}")
            }
            if number.doubleValue.isFinite { result[name] = number.doubleValue }
        }
        return result
    }

    /// A JSON array of texts (the sweep's --set overrides); NULL is [].
    func texts(_ column: String) throws -> [String] {
        guard let text = try self.text(column, optional: true) else { return [] }
        guard let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw failure(column, "holds '\(text.prefix(40))'; valid: a JSON array of texts such as [\"sweep.run_cap=4\"]")
        }
        return list
    }
}
