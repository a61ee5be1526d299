// MarkupEscaping: text made safe for HTML and SVG — element content and attribute values —
// so parameter values and error messages (user strings) can never become markup.
extension String {
    /// The text with `&`, `<`, `>`, `"` and `'` replaced by character references; safe in element
    /// content and in single- or double-quoted attribute values.
    public var markupEscaped: String {
        var out = ""
        out.reserveCapacity(count)
        for scalar in unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline are not allowed in XML 1.0.
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r" { out += "\u{FFFD}" }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
