// TrialOutcome: how a finished trial is judged — its metrics read from metrics.jsonl (training
// trials) or from its output (program trials: the last JSON line, or `name=value` lines).
import Foundation

/// What a trial's files say about how it ended.
public struct TrialOutcome: Sendable, Equatable {
    /// All final numbers found.
    public var metrics: [String: Double]
    /// The sweep metric, if reported and finite.
    public var metric: Double?
    /// True when the output ends with a final result, not only progress: a training trial's
    /// final metrics line, or a program's last line being a JSON result without an `epoch` key.
    public var complete = false
    /// True when a training trial's metrics.jsonl ends with a `diverged` event: its loss or
    /// weights stopped being finite (a retry would only diverge again). Default false.
    public var diverged = false

    /// Reads the outcome of a training trial: the final line of metrics.jsonl, falling back to
    /// the last epoch line for values the final line lacks.
    public static func training(directory: String, metricName: String) -> TrialOutcome {
        let text = (try? String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8))?.split(separator: "\n") ?? []
        // Event lines (`{"event": "diverged", ...}`) are neither progress nor a result.
        let events = text.map { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["event"] as? String
        }
        let lines = zip(text, events).compactMap { $1 == nil ? numericFields(ofJSONLine: String($0)) : nil }
        var metrics = lines.last(where: { progressIndex(of: $0) != nil }) ?? [:]
        if let final = lines.last, progressIndex(of: final) == nil { metrics.merge(final) { _, new in new } }
        let complete = lines.last.map { progressIndex(of: $0) == nil } ?? false
        for bookkeeping in ["epoch", "epochs", "evaluation", "step", "seconds", "lr", "final", "samples_per_s"] { metrics[bookkeeping] = nil }
        return TrialOutcome(metrics: metrics, metric: metrics[metricName].flatMap { $0.isFinite ? $0 : nil }, complete: complete,
                            diverged: events.last == "diverged")
    }

    /// The index of a progress line: its `epoch`, or for a job budgeted in steps its `evaluation`
    /// (1-based, every `eval_every` steps); nil for a final line.
    public static func progressIndex(of fields: [String: Double]) -> Double? {
        fields["epoch"] ?? fields["evaluation"]
    }

    /// Reads the outcome of a program trial from its output: the last JSON object line that
    /// holds the metric, else the last `name=value` (or `name: value`) line for it.
    public static func program(output: String, metricName: String) -> TrialOutcome {
        var metrics: [String: Double] = [:]
        var found: Double?
        let lines = output.split(separator: "\n").map(String.init)
        for line in lines {
            if let fields = numericFields(ofJSONLine: line) {
                if let v = fields[metricName] {
                    metrics = fields
                    found = v
                }
                continue
            }
            for separator in ["=", ":"] {
                let parts = line.split(separator: Character(separator), maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2, !parts[0].contains(" "), let v = Double(parts[1]) {
                    metrics[parts[0]] = v
                    if parts[0] == metricName { found = v }
                    break
                }
            }
        }
        // Only a final JSON result as the very last line proves the program got to its end.
        let last = lines.last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.flatMap(numericFields(ofJSONLine:))
        let complete = last.map { $0[metricName] != nil && progressIndex(of: $0) == nil } ?? false
        return TrialOutcome(metrics: metrics, metric: found.flatMap { $0.isFinite ? $0 : nil }, complete: complete)
    }

    /// What attempt `attempt` printed: the log's text after that attempt's marker line (empty
    /// when the attempt never started; the whole log when it has no markers at all, as a log
    /// written by an earlier version).
    public static func attemptOutput(of path: String, attempt: Int) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "" }
        guard let marker = text.range(of: TrialExec.attemptMarker(attempt) + "\n", options: .backwards) else {
            return text.contains(TrialExec.markerPrefix) ? "" : text
        }
        return String(text[marker.upperBound...])
    }

    /// The last `count` lines of a log file (for error reports).
    public static func tail(of path: String, lines count: Int = 15) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(count).joined(separator: "\n")
    }
}
