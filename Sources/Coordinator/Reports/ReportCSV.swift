// ReportCSV: the sweep's trials as CSV (results.csv), one row per trial in ranking order,
// quoted per RFC 4180 so list values such as "[512, 256]" and commas in strings survive.
import Foundation

/// CSV rendering of sweep results.
public enum ReportCSV {
    /// Header then one row per trial, best first: `id, status, <parameters...>, <metric>,
    /// <other final metrics...>, epochs, attempts, error` (error: first line of a failure); for a
    /// job budgeted in steps the count column is `evaluations` (validations reported).
    /// Lines end in CRLF (RFC 4180); numbers use the shortest text that reads back exactly;
    /// missing values are empty fields.
    public static func render(_ results: SweepResults) -> String {
        let others = results.otherMetricNames
        let header = ["id", "status"] + results.parameters.map(\.name) + [results.metric.name] + others
            + [results.progressUnit.plural, "attempts", "error"]
        var lines = [row(header)]
        for t in results.trials {
            let fields = [String(t.id), t.status.rawValue]
                + results.parameters.map { t.configuration[$0.name]?.description ?? "" }
                + [t.metric.map(number) ?? ""]
                + others.map { t.finalMetrics[$0].map(number) ?? "" }
                + [String(t.epochs.count), String(t.attempts), t.errorLine ?? ""]
            lines.append(row(fields))
        }
        return lines.map { $0 + "\r\n" }.joined()
    }

    /// One CSV record.
    public static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",")
    }

    /// A field, quoted when it holds a comma, a double quote, CR or LF (quotes doubled), or
    /// starts or ends with a space.
    public static func field(_ text: String) -> String {
        let needsQuotes = text.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || text.hasPrefix(" ") || text.hasSuffix(" ")
        return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
