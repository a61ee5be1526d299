// ConfigFile: reads a YAML config from disk, applies `--set key.path=value` overrides, and
// hands out its sections as located ConfigValues; YAML syntax errors keep their line and column.
import Foundation
import Yams

/// A parsed configuration document.
public struct ConfigFile {
    /// Path as given.
    public let path: String
    /// The file's text as read (before overrides).
    public let text: String
    /// The document root, overrides applied.
    public let root: ConfigValue

    /// Where relative paths inside the config are taken from: the folder the config was first
    /// read from (a sweep records it, so its run folder's copy resolves paths the same way).
    /// Default nil: the folder holding `path`.
    public var baseDirectory: String?

    /// The most YAML nodes a document may expand to, aliases counted at every use (an alias
    /// bomb is refused by this count, not by time or memory).
    public static let nodeLimit = 200_000

    /// Folder relative paths inside the config are taken from, absolute: `baseDirectory`, or
    /// the folder holding the file.
    public var directory: String {
        baseDirectory ?? URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
    }

    /// Reads `path` and applies `overrides` (`key.path=value`, value in YAML syntax); relative
    /// paths inside it are taken from `baseDirectory` when given.
    public static func load(path: String, overrides: [String] = [], baseDirectory: String? = nil) throws -> ConfigFile {
        var file = try load(path: path, overrides: overrides)
        file.baseDirectory = baseDirectory
        return file
    }

    /// Reads `path` and applies `overrides` (`key.path=value`, value in YAML syntax).
    public static func load(path: String, overrides: [String] = []) throws -> ConfigFile {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            let isRun = FileManager.default.fileExists(atPath: path + "/resolved.yaml")
            throw ConfigError(file: path, keyPath: "", message: "is a folder, not a config file",
                              hint: isRun ? "give a config file; this run folder's own is \(path)/resolved.yaml, and `ringtrain resume \(path)` continues the run"
                                          : "give the path of a config file such as cluster.yaml")
        }
        let data = try read(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, keyPath: "", message: "the file is not UTF-8 text")
        }
        return try parse(text: text, path: path, overrides: overrides)
    }

    /// The most bytes a config file may hold (16 MiB): far above any sweep's listed values. A
    /// dataset or log given by mistake is refused before the YAML parser holds it many times over.
    public static let byteLimit = 16 << 20

    /// The bytes of `path`, read to its end (a pipe such as `<(…)` too), at most `byteLimit`.
    private static func read(_ path: String) throws -> Data {
        // Opened without waiting for a writer (a FIFO nobody writes then reads as empty), then read
        // as usual (a pipe's writer is waited for).
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            throw ConfigError(file: path, keyPath: "", message: code == ENOENT ? "file not found" : "cannot read the file: \(String(cString: strerror(code)))",
                              hint: code == ENOENT ? "give the path of a config such as cluster.yaml" : code == EACCES ? "check its permissions" : nil)
        }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while data.count <= byteLimit {
            let n = Foundation.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                throw ConfigError(file: path, keyPath: "", message: "cannot read the file: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                var info = stat()
                if data.isEmpty && fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO {
                    throw ConfigError(file: path, keyPath: "", message: "is a FIFO nobody writes to (it read as empty)",
                                      hint: "give the config file, or start the program that writes the FIFO first")
                }
                return data
            }
            data.append(contentsOf: buffer[..<n])
        }
        throw ConfigError(file: path, keyPath: "", message: "the file holds more than \(byteLimit >> 20) MiB, more than a config may",
                          hint: "give the config's path (a YAML file such as cluster.yaml), not a dataset's")
    }

    /// Parses `text` as if read from `path`.
    public static func parse(text: String, path: String, overrides: [String] = []) throws -> ConfigFile {
        var node: Node
        do {
            guard let composed = try Yams.compose(yaml: text, .default, .default, .utf8) else {
                throw ConfigError(file: path, keyPath: "", message: "the file is empty", hint: "it needs at least a job: section")
            }
            node = composed
        } catch let error as YamlError {
            throw locate(error, path: path)
        }
        try checkSize(node, path: path)
        var applied: [String: String] = [:]
        for override in overrides {
            let (key, value) = try splitOverride(override)
            try set(&node, path: key.split(separator: ".").map(String.init), value: value, override: override)
            applied[key] = override
        }
        return ConfigFile(path: path, text: text, root: ConfigValue(node: node, path: "", file: path, overrides: applied))
    }

    /// This document with more `overrides` applied on top of its own (a sweep trial's values),
    /// without parsing the text again.
    public func applying(_ overrides: [String]) throws -> ConfigFile {
        var node = root.node
        var applied = root.overrides
        for override in overrides {
            let (key, value) = try Self.splitOverride(override)
            try Self.set(&node, path: key.split(separator: ".").map(String.init), value: value, override: override)
            applied[key] = override
        }
        var file = ConfigFile(path: path, text: text, root: ConfigValue(node: node, path: "", file: path, overrides: applied))
        file.baseDirectory = baseDirectory
        return file
    }

    private static func splitOverride(_ override: String) throws -> (String, Node) {
        guard let eq = override.firstIndex(of: "="), eq != override.startIndex else {
            throw ConfigError(file: "--set \(override)", keyPath: "", message: "expected key.path=value",
                              hint: "e.g. --set job.epochs=5")
        }
        let key = String(override[..<eq]).trimmingCharacters(in: .whitespaces)
        let valueText = String(override[override.index(after: eq)...])
        let value: Node
        do {
            value = try Yams.compose(yaml: valueText, .default, .default, .utf8) ?? Node("", Tag(.null))
        } catch {
            throw ConfigError(file: "--set \(override)", keyPath: key, message: "the value is not valid YAML")
        }
        return (key, value)
    }

    /// Refuses a document that expands to more than `nodeLimit` nodes, naming the key path
    /// where the count ran over. Stops counting there, so the check costs at most the limit.
    private static func checkSize(_ root: Node, path: String) throws {
        var count = 0
        func visit(_ node: Node, _ keyPath: String) throws {
            count += 1
            if count > nodeLimit {
                throw ConfigError(file: path, line: node.mark.map { $0.line }, column: node.mark.map { $0.column }, keyPath: keyPath,
                                  message: "the document expands to more than \(nodeLimit) YAML values (aliases counted at each use)",
                                  hint: "write the values out, or reuse fewer anchors")
            }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping { try visit(value, keyPath.isEmpty ? (key.string ?? "?") : keyPath + "." + (key.string ?? "?")) }
            case .sequence(let sequence):
                for (i, item) in sequence.enumerated() { try visit(item, keyPath + "[\(i)]") }
            case .scalar, .alias:
                break
            }
        }
        try visit(root, "")
    }

    /// Replaces (or adds) the value at `path`, creating mappings on the way. A path part may
    /// index into a list: `layers[2]` is the third element of `layers`, which must exist.
    private static func set(_ node: inout Node, path: [String], value: Node, override: String, consumed: String = "") throws {
        guard let first = path.first else { node = value; return }
        guard case .mapping(var mapping) = node else {
            throw ConfigError(file: "--set \(override)", keyPath: "", message: "'\(first)' is inside a value that is not a mapping")
        }
        let parts = first.split(separator: "[", omittingEmptySubsequences: false)
        let key = String(parts[0])
        var indices: [Int] = []
        for part in parts.dropFirst() {
            let digits = part.dropLast()
            guard part.hasSuffix("]"), !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  digits == "0" || !digits.hasPrefix("0"), let index = Int(digits) else {
                throw ConfigError(file: "--set \(override)", keyPath: "", message: "'\(first)' is not a key or key[index]",
                                  hint: "e.g. model.layers[2].units")
            }
            indices.append(index)
        }
        // Keys are matched by their text: Yams's own lookup resolves every key's tag on each
        // comparison, which made checking a sweep of thousands of values take minutes.
        let found = mapping.indices.filter { mapping[$0].key.string == key }.last
        var child = found.map { mapping[$0].value } ?? Node([(Node, Node)]())
        try setElement(&child, indices: indices[...], rest: Array(path.dropFirst()), value: value, override: override,
                       at: consumed.isEmpty ? key : consumed + "." + key)
        if let found {
            mapping[found] = (key: mapping[found].key, value: child)
        } else {
            mapping[key] = child
        }
        node = .mapping(mapping)
    }

    private static func setElement(_ node: inout Node, indices: ArraySlice<Int>, rest: [String], value: Node,
                                   override: String, at: String) throws {
        guard let index = indices.first else { return try set(&node, path: rest, value: value, override: override, consumed: at) }
        guard case .sequence(var sequence) = node, index < sequence.count else {
            let count = node.sequence?.count
            throw ConfigError(file: "--set \(override)", keyPath: "",
                              message: "\(at) has no element [\(index)]" + (count.map { " (it has \($0))" } ?? " (it is not a list)"))
        }
        var element = sequence[index]
        try setElement(&element, indices: indices.dropFirst(), rest: rest, value: value, override: override, at: "\(at)[\(index)]")
        sequence[index] = element
        node = .sequence(sequence)
    }

    /// A YAML syntax error as a ConfigError with the parser's line and column.
    private static func locate(_ error: YamlError, path: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return ConfigError(file: path, line: mark.line, column: mark.column, keyPath: "",
                               message: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(file: path, line: context.mark.line, column: context.mark.column, keyPath: "",
                               message: "duplicate key \(duplicates.joined(separator: ", "))",
                               hint: "each key may appear once in a mapping")
        default:
            return ConfigError(file: path, keyPath: "", message: "invalid YAML: \(error)")
        }
    }
}
