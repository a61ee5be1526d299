// DatasetError: the one error type of dataset loading. It names the file, the position in it
// (byte offset for binary files, line and column for CSV), what went wrong and what is valid.

/// A problem with a dataset file or with the dataset part of a configuration.
///
/// `description` reads like a compiler diagnostic, e.g.
/// `data/train.csv:7:3: cell "abc" in column "width" is not a number. Hint: ...`.
public struct DatasetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Where in the file the problem is.
    public enum Position: Sendable, Equatable {
        /// A byte offset from the start of the file (0-based). For gzipped IDX files the offset
        /// counts decompressed bytes unless the message says otherwise.
        case byte(Int)
        /// A 1-based line and, when known, a 1-based column (for CSV: the field number).
        case line(Int, column: Int?)
    }

    /// Path of the file at fault, as given in the configuration.
    public var file: String
    /// Where in the file; nil when the problem is the file as a whole (missing, empty, ...).
    public var position: Position?
    /// What went wrong.
    public var message: String
    /// What would be valid, or how to fix it; nil when there is nothing useful to add.
    public var hint: String?

    /// Creates an error. `position` and `hint` default to nil.
    public init(file: String, position: Position? = nil, message: String, hint: String? = nil) {
        self.file = file
        self.position = position
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = file
        switch position {
        case .byte(let offset)?: text += ": at byte \(offset)"
        case .line(let line, let column)?: text = SourceLocation(file: file, line: line, column: column).description
        case nil: break
        }
        text += ": " + message
        if let hint { text += ". Hint: " + hint }
        return text
    }
}
