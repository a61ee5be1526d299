// SourceLocation: where in a text file a mistake is, written as compilers do
// (`file`, `file:line`, `file:line:column`) — for config and dataset errors alike.

/// A file and, when known, a 1-based line and column in it.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    /// The file's path as the user gave it.
    public var file: String
    /// The 1-based line, nil when unknown.
    public var line: Int?
    /// The 1-based column, nil when unknown (or the line is).
    public var column: Int?

    /// The place `file:line:column`, leaving out what is nil.
    public init(file: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, leaving out what is unknown.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let column { text += ":\(column)" }
        return text
    }
}
