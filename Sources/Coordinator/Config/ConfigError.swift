// ConfigError: a mistake in a configuration file or a --set override, with its location
// (file:line:column and key path), what is wrong, and what would be valid.
import Model

/// A configuration mistake, reported as `file:line:column: key.path: message (hint)`.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// File the value came from (or `--set` for command-line overrides).
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column, when known.
    public var column: Int?
    /// Dotted key path, e.g. `job.optimizer.lr` (empty for the whole file).
    public var keyPath: String
    /// What is wrong.
    public var message: String
    /// What would be valid, when there is something useful to say.
    public var hint: String?

    public init(file: String, line: Int? = nil, column: Int? = nil, keyPath: String,
                message: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = "\(SourceLocation(file: file, line: line, column: column)): "
        if !keyPath.isEmpty { text += "\(keyPath): " }
        text += message
        if let hint { text += " (\(hint))" }
        return text
    }
}

/// The closest of `candidates` to `word` by edit distance, if it is plausibly a typo.
func closestMatch(to word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    guard word.utf8.count <= 100 else { return nil }   // no name is that long (and the distance costs its length)
    let lower = Array(word.lowercased())
    let scored = candidates.map { ($0, distance(lower, Array($0.lowercased()))) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 3) ? best.0 : nil
}

extension ConfigError: UsageError {}
