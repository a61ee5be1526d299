// ReportTable: the sweep report as aligned text for a terminal — header with the metric and
// status counts, ranked trials, the best configuration as YAML, parameter effects, errors.
import Foundation

/// Plain-text sweep report (`ringtrain report RUN_DIR`, the default format).
public enum ReportTable {
    /// The whole report, ending in a newline.
    public static func render(_ results: SweepResults, effects: [ParameterEffect]) -> String {
        var out: [String] = []
        let counts = results.statusCounts
        out.append("sweep \(results.runDirectory)")
        out.append("metric: \(results.metric.name) (\(results.metric.goal.rawValue))")
        out.append("trials: \(results.trials.count) — " + TrialStatus.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", "))
        if let best = results.best, let value = best.metric {
            out.append("best: trial \(best.id), \(results.metric.name) \(number(value))"
                       + (best.status == .finished ? "" : " (\(best.status.rawValue) at a rung; no trial has finished)"))
        } else {
            out.append("best: none yet (no finished trial with a \(results.metric.name))")
        }
        if !results.trials.isEmpty {
            out += ["", trialsTable(results)]
        }
        out += lineageSection(results)
        if let best = results.best {
            let scheduled = !results.bestSchedule.isEmpty
            out += ["", "best configuration (trial \(best.id)\(scheduled ? ", its last generation" : "")):"]
            out += results.parameters.compactMap { p in best.configuration[p.name].map { "  \(p.name): \($0.yamlText)" } }
            if let yaml = results.bestYAML {
                out += ["", scheduled ? "resolved config of its schedule's start — save as best.yaml and run the commands above:"
                            : "resolved config — save as best.yaml and run `ringtrain train best.yaml`:", "",
                        yaml.trimmingCharacters(in: .newlines)]
            }
        }
        if !effects.isEmpty {
            out += ["", "parameter effects over finished trials (importance: |Spearman rho| for numbers, eta for categories):",
                    effectsTable(effects, metric: results.metric.name)]
        }
        let failed = results.trials.filter { $0.status == .failed || ($0.errorLine != nil && $0.status != .finished) }
        if !failed.isEmpty {
            out += ["", "errors:"]
            out += failed.map { t in
                "  trial \(t.id) (\(t.status.rawValue), \(t.attempts) attempt\(t.attempts == 1 ? "" : "s")): \(t.errorLine ?? "no error recorded")"
            }
        }
        if !results.notes.isEmpty { out += [""] + results.notes.map { "note: " + $0 } }
        // TextTable pads every cell, the last column too.
        return out.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in String(line.reversed().drop { $0 == " " }.reversed()) }.joined(separator: "\n") + "\n"
    }

    /// Ranked trials: rank (for trials with a metric), id, status (with a failure's reason), metric, parameters, other
    /// final metrics, epochs (`evaluations` for a job budgeted in steps), attempts.
    static func trialsTable(_ results: SweepResults) -> String {
        let others = results.otherMetricNames
        var table = TextTable(headers: ["rank", "trial", "status", results.metric.name] + results.parameters.map(\.name)
                              + others + [results.progressUnit.plural, "attempts"])
        var rank = 0
        for t in results.trials {
            let ranked = t.status.isRanked && t.metric != nil
            if ranked { rank += 1 }
            var current = t.metric
            if current == nil, t.status == .running { current = t.curve(results.metric.name).last?.value }
            let metricText = current.map { number($0) + (t.metric == nil ? "*" : "") } ?? "-"
            table.add([ranked ? String(rank) : "-", String(t.id), t.statusText(results.progressUnit), metricText]
                      + results.parameters.map { t.configuration[$0.name].map(display) ?? "-" }
                      + others.map { t.finalMetrics[$0].map(number) ?? "-" }
                      + [String(t.epochs.count), String(t.attempts)])
        }
        var text = table.rendered
        if results.trials.contains(where: { $0.status == .running && $0.metric == nil && !$0.curve(results.metric.name).isEmpty }) {
            text += "\n* latest \(results.progressUnit.rawValue) of a running trial"
        }
        return text
    }

    static func effectsTable(_ effects: [ParameterEffect], metric: String) -> String {
        var table = TextTable(headers: ["parameter", "kind", "importance", "spearman", "pearson", "trials", "mean \(metric) by value"])
        for e in effects {
            let kind = e.kind.rawValue + (e.kind == .numeric && e.logScale ? " (log)" : "")
            let groups = e.groups.map { "\($0.value): \(number($0.mean)) (\($0.count))" }.joined(separator: "; ")
            table.add([e.name, kind, String(format: "%.2f", e.importance), e.spearman.map { String(format: "%.2f", $0) } ?? "-",
                       e.pearson.map { String(format: "%.2f", $0) } ?? "-", String(e.trials), groups])
        }
        return table.rendered
    }

    /// A parameter value for people: doubles to 5 significant digits, everything else as in YAML.
    public static func display(_ value: ParameterValue) -> String {
        switch value {
        case .double(let d): return number(d)
        case .list(let items): return "[" + items.map(display).joined(separator: ", ") + "]"
        default: return value.description
        }
    }

    /// A metric value for people: up to 5 significant digits.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return String(value) }
        return String(format: "%.5g", value)
    }
}
