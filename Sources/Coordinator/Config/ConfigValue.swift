// ConfigValue: one YAML node plus where it came from, with typed accessors that turn every
// wrong type, range or unknown key into a ConfigError naming file, line, column and key path.
import Yams

/// A configuration value and its origin. Accessors throw `ConfigError` on bad input.
public struct ConfigValue {
    /// The YAML node.
    public let node: Node
    /// Dotted key path from the document root, e.g. `job.optimizer.lr`.
    public let path: String
    /// File name used in error messages.
    public let file: String
    /// Key paths replaced by command-line overrides, with the override as typed
    /// (errors inside them point at the override, not at a line of the file).
    public let overrides: [String: String]

    public init(node: Node, path: String, file: String, overrides: [String: String] = [:]) {
        self.node = node
        self.path = path
        self.file = file
        self.overrides = overrides
    }

    /// A value below this one.
    func child(_ node: Node, path: String) -> ConfigValue {
        ConfigValue(node: node, path: path, file: file, overrides: overrides)
    }

    /// An error located at this value.
    public func error(_ message: String, hint: String? = nil) -> ConfigError {
        if let override = overrides.first(where: { path == $0.key || path.hasPrefix($0.key + ".") || path.hasPrefix($0.key + "[") }) {
            return ConfigError(file: "--set \(override.value)", keyPath: path, message: message, hint: hint)
        }
        return ConfigError(file: file, line: node.mark?.line, column: node.mark?.column, keyPath: path,
                           message: message, hint: hint)
    }

    /// How this value reads in a message: the scalar text (cut, see `quoted`), or "a list" / "a mapping".
    var shown: String {
        switch node {
        case .scalar(let s): return Self.quoted(s.string)
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        }
    }

    /// `text` in quotes for a message; past 60 characters, its first 60 and its length (a whole
    /// file given as the config is one long scalar).
    static func quoted(_ text: String) -> String {
        let count = text.count
        return count <= 60 ? "'\(text)'" : "'\(text.prefix(60))…' (\(count) characters)"
    }

    /// True for an explicit YAML null (`~`, `null` or empty).
    public var isNull: Bool { node.null != nil && node.scalar?.style == .plain }

    /// The value as a string (any scalar).
    public func string() throws -> String {
        guard case .scalar(let s) = node else { throw error("expected a string, got \(shown)") }
        return s.string
    }

    /// The value as one of `choices`.
    public func choice(_ choices: [String]) throws -> String {
        let text = try string()
        guard choices.contains(text) else {
            let near = closestMatch(to: text, in: choices).map { "did you mean '\($0)'? " } ?? ""
            throw error("\(Self.quoted(text)) is not valid", hint: near + "expected one of: " + choices.joined(separator: ", "))
        }
        return text
    }

    /// The value as an integer within `range`.
    public func int(in range: ClosedRange<Int> = Int.min...Int.max, hint: String? = nil) throws -> Int {
        guard case .scalar = node, let v = node.int else {
            throw error("expected a whole number, got \(shown)", hint: hint)
        }
        guard range.contains(v) else {
            // The range itself, always: a hint says what the value means, not where it ends.
            let bounds = range.upperBound == Int.max ? "\(range.lowerBound) or more" : "\(range.lowerBound) to \(range.upperBound)"
            throw error("\(v) is out of range: \(bounds)", hint: hint)
        }
        return v
    }

    /// The value as a finite number within `range`.
    public func double(in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude,
                       hint: String? = nil) throws -> Double {
        guard case .scalar = node, let v = node.float ?? node.int.map(Double.init), v.isFinite else {
            throw error("expected a number, got \(shown)", hint: hint)
        }
        guard range.contains(v) else { throw error("\(v) is out of range", hint: hint ?? describe(range)) }
        return v
    }

    /// The value as a boolean (`true` / `false`).
    public func bool() throws -> Bool {
        guard case .scalar = node, let v = node.bool else { throw error("expected true or false, got \(shown)") }
        return v
    }

    /// The elements of a list.
    public func list() throws -> [ConfigValue] {
        guard case .sequence(let seq) = node else { throw error("expected a list, got \(shown)") }
        return seq.enumerated().map { child($1, path: "\(path)[\($0)]") }
    }

    /// The value as a mapping whose keys must all be in `allowed` (unknown keys are errors,
    /// with a did-you-mean when one is close); nil allows any key.
    public func table(allowed: [String]?) throws -> ConfigTable {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping, got \(shown)") }
        var entries: [(key: String, value: ConfigValue)] = []
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.string else {
                throw child(keyNode, path: path).error("keys must be strings")
            }
            let child = child(valueNode, path: path.isEmpty ? key : "\(path).\(key)")
            if let allowed, !allowed.contains(key) {
                let keyValue = self.child(keyNode, path: child.path)
                let near = closestMatch(to: key, in: allowed).map { "did you mean '\($0)'? " } ?? ""
                throw keyValue.error("unknown key '\(key)'", hint: near + "valid keys here: " + allowed.joined(separator: ", "))
            }
            entries.append((key, child))
        }
        return ConfigTable(value: self, entries: entries)
    }

    private func describe<T>(_ range: ClosedRange<T>) -> String {
        "expected a value from \(range.lowerBound) to \(range.upperBound)"
    }
}

/// A checked mapping: look values up by key.
public struct ConfigTable {
    /// The mapping itself (for errors about the whole section).
    public let value: ConfigValue
    /// Keys and values in file order.
    public let entries: [(key: String, value: ConfigValue)]

    /// The value under `key`, or nil when absent or null.
    public subscript(_ key: String) -> ConfigValue? {
        guard let v = entries.first(where: { $0.key == key })?.value, !v.isNull else { return nil }
        return v
    }

    /// The value under `key`; an error naming the section when absent.
    public func required(_ key: String, hint: String? = nil) throws -> ConfigValue {
        guard let v = self[key] else {
            throw value.error("missing required key '\(key)'", hint: hint)
        }
        return v
    }

    /// True when `key` is present (even if null).
    public func contains(_ key: String) -> Bool { entries.contains { $0.key == key } }
}
