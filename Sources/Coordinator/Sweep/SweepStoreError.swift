// SweepStoreError: a sweep.sqlite that cannot be used as it is — unreadable, emptied, a table or
// column missing, or a stored value of the wrong type or out of range — named down to the cell.
import Model

/// A damaged, emptied or unreadable sweep store, reported as
/// `path: table T, row R, column C: message (hint)`. A user error (exit 2): nothing is run.
public struct SweepStoreError: UsageError, Equatable {
    /// Path of the store (`RUN_DIR/sweep.sqlite`).
    public var path: String
    /// Table the problem is in, when it is in one.
    public var table: String?
    /// Row of the table (a trial's id; the sweep table's single row is 1), when known.
    public var row: Int?
    /// Column, when the problem is one value.
    public var column: String?
    /// What is wrong, and what would be valid.
    public var message: String

    /// An error at `path`, narrowed to a table, row and column when given (each default nil).
    public init(path: String, table: String? = nil, row: Int? = nil, column: String? = nil, message: String) {
        self.path = path
        self.table = table
        self.row = row
        self.column = column
        self.message = message
    }

    /// `path: table T, row R, column C: message`, then what to do.
    public var description: String {
        var place = [String]()
        if let table { place.append("table \(table)") }
        if let row { place.append("row \(row)") }
        if let column { place.append("column \(column)") }
        return path + ": " + (place.isEmpty ? "" : place.joined(separator: ", ") + ": ") + message
            + " (the sweep store is damaged; nothing was run — restore sweep.sqlite, with its -wal file, from a copy,"
            + " or start a new sweep with another --run-dir)"
    }
}
