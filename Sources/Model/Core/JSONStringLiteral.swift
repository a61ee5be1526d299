// JSONStringLiteral: a string as a JSON string literal, quotes included, escaped as Foundation
// escapes it — for JSON written by hand (safetensors headers, timelines).
import Foundation

/// `s` as a JSON string literal: `"…"` with `"`, `\` and control characters escaped (slashes kept).
public func jsonStringLiteral(_ s: String) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes]) else {
        preconditionFailure("a string is always valid JSON")
    }
    return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)   // without the array's brackets
}
