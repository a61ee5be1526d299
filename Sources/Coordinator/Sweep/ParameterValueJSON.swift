// ParameterValueJSON: trial configurations as JSON (how sweep.sqlite and reports store them),
// with a canonical text form so equal configurations compare equal in SQL.
import Foundation

extension ParameterValue: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let i = try? container.decode(Int.self) { self = .int(i) }
        else if let d = try? container.decode(Double.self) { self = .double(d) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else { self = .list(try container.decode([ParameterValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .bool(let b): try container.encode(b)
        case .list(let items): try container.encode(items)
        }
    }

    /// The value as a JSON-compatible object (Int, Double, String, Bool or array), for
    /// JSONSerialization-based output.
    public var jsonObject: Any {
        switch self {
        case .int(let i): return i
        case .double(let d): return d
        case .string(let s): return s
        case .bool(let b): return b
        case .list(let items): return items.map(\.jsonObject)
        }
    }
}

/// JSON encoding of whole configurations.
public enum ConfigurationJSON {
    /// Sorted-key JSON text; equal configurations give equal text. (A whole-number double
    /// reads back as an int; the job parsers accept either where a number is expected.)
    public static func encode(_ configuration: Configuration) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(configuration) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses text made by `encode`.
    public static func decode(_ text: String) -> Configuration? {
        try? JSONDecoder().decode(Configuration.self, from: Data(text.utf8))
    }
}
