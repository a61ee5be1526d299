// ReportHTML: the sweep report as one self-contained HTML page (report.html) — no scripts, no
// external files — with summary, best config, inline SVG plots, effects, trials and errors; while
// the sweep runs it reloads itself.
import Foundation

/// HTML rendering of sweep results.
public enum ReportHTML {
    /// Seconds between reloads of a live report.
    public static let reloadSeconds = 5

    /// A complete HTML5 document. Every user-supplied string (parameter values, errors, paths) is
    /// escaped; plots are inline SVG from `SVGPlots`; styling is an inline `<style>`. A `live`
    /// report (of a sweep still running) reloads itself every `reloadSeconds` and says so.
    public static func render(_ results: SweepResults, effects: [ParameterEffect], live: Bool = false) -> String {
        let name = results.metric.name
        let counts = results.statusCounts
        var body: [String] = []
        body.append("<h1>Sweep report</h1>")
        if live {
            let clock = DateFormatter()
            clock.dateFormat = "HH:mm:ss"
            body.append("<p class=\"live\">The sweep is running: this page was written at \(clock.string(from: Date())) and reloads every "
                        + "\(reloadSeconds) s until the sweep ends.</p>")
        }
        body.append("<p class=\"summary\">Run folder <code>\(results.runDirectory.markupEscaped)</code> · metric <b>\(name.markupEscaped)</b> ("
                    + "\(results.metric.goal.rawValue)) · \(results.trials.count) trials: "
                    + TrialStatus.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ") + "</p>")

        body.append("<h2>Best configuration</h2>")
        if let best = results.best {
            body.append("<p>Trial \(best.id) (\(best.status.rawValue)): \(name.markupEscaped) = <b>\(best.metric.map(ReportTable.number) ?? "-")</b></p>")
            body.append(table(headers: ["parameter", "value"],
                              rows: results.parameters.compactMap { p in best.configuration[p.name].map { [p.name, $0.yamlText] } }))
            if let yaml = results.bestYAML, let lineage = results.lineage, !results.bestSchedule.isEmpty {
                body.append("<p>Its final model came from this schedule of hyperparameters (population-based training):</p>")
                body.append(table(headers: [results.progressUnit.plural, "trained by"] + results.parameters.map(\.name),
                                  rows: PopulationLineage.scheduleRows(results.bestSchedule, parameters: results.parameters)))
                body.append("<p>Save the schedule's start as <code>best.yaml</code> and run these commands to train the same model again:</p>")
                body.append("<pre>\(yaml.markupEscaped)</pre>")
                body.append("<pre>\(lineage.replayCommands(results.bestSchedule, parameters: results.parameters).joined(separator: "\n").markupEscaped)</pre>")
            } else if let yaml = results.bestYAML {
                body.append("<p>Save as <code>best.yaml</code> and run <code>ringtrain train best.yaml</code>:</p>")
                body.append("<pre>\(yaml.markupEscaped)</pre>")
            }
        } else {
            body.append("<p>No finished trial with a \(name.markupEscaped) yet.</p>")
        }

        if let lineage = results.lineage {
            body.append("<h2>Lineage</h2>")
            body.append("<p class=\"hint\">Population-based training: at each generation's end the worst members copy the "
                        + "checkpoint of one of the best (dashed red) and change its hyperparameters.</p>")
            body.append("<figure>\(SVGPlots.lineage(results))</figure>")
            body.append(table(headers: PopulationLineage.headers(results), rows: lineage.rows(results)))
        }
        body.append("<h2>Learning curves</h2>")
        body.append("<figure>\(SVGPlots.learningCurves(results))</figure>")
        body.append("<h2>\(name.markupEscaped) against each parameter</h2>")
        body.append("<p class=\"hint\">Filled: finished trials; hollow: stopped early; red: the best. Hover a mark for its trial.</p>")
        body.append("<div class=\"grid\">" + results.parameters.map { p in
            "<figure>\(SVGPlots.scatter(results, parameter: p))</figure>"
        }.joined() + "</div>")
        body.append("<h2>Parallel coordinates</h2>")
        body.append("<figure>\(SVGPlots.parallelCoordinates(results))</figure>")

        body.append("<h2>Parameter effects</h2>")
        body.append("<p class=\"hint\">Over finished trials. Importance: |Spearman ρ| for numeric parameters, the correlation "
                    + "ratio η for categorical ones (0 = no relation, 1 = the parameter explains the metric's variation).</p>")
        body.append(table(headers: ["parameter", "kind", "importance", "Spearman ρ", "Pearson r", "trials", "mean \(name) by value"],
                          rows: effects.map { e in
                              [e.name, e.kind.rawValue + (e.logScale && e.kind == .numeric ? " (log)" : ""),
                               String(format: "%.2f", e.importance), e.spearman.map { String(format: "%.2f", $0) } ?? "-",
                               e.pearson.map { String(format: "%.2f", $0) } ?? "-", String(e.trials),
                               e.groups.map { "\($0.value): \(ReportTable.number($0.mean)) (\($0.count))" }.joined(separator: "; ")]
                          }))

        body.append("<h2>Trials</h2>")
        let others = results.otherMetricNames
        body.append(table(headers: ["trial", "status", name] + results.parameters.map(\.name) + others + [results.progressUnit.plural, "attempts"],
                          rows: results.trials.map { t in
                              [String(t.id), t.statusText(results.progressUnit), t.metric.map(ReportTable.number) ?? "-"]
                                  + results.parameters.map { t.configuration[$0.name].map(ReportTable.display) ?? "-" }
                                  + others.map { t.finalMetrics[$0].map(ReportTable.number) ?? "-" }
                                  + [String(t.epochs.count), String(t.attempts)]
                          }, highlight: results.best?.id.description))

        let failed = results.trials.filter { $0.error != nil && $0.status != .finished }
        if !failed.isEmpty {
            body.append("<h2>Errors</h2>")
            body.append(table(headers: ["trial", "status", "attempts", "error"],
                              rows: failed.map { [String($0.id), $0.status.rawValue, String($0.attempts), $0.errorLine ?? ""] }))
        }
        if !results.notes.isEmpty {
            body.append("<ul class=\"notes\">" + results.notes.map { "<li>\($0.markupEscaped)</li>" }.joined() + "</ul>")
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">\(live ? "\n<meta http-equiv=\"refresh\" content=\"\(reloadSeconds)\">" : "")
            <title>Sweep report: \(results.runDirectory.markupEscaped)</title>
            <style>\(style)</style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    /// An HTML table; cells are escaped. The row whose first cell equals `highlight` is marked.
    /// A table wider than the page scrolls inside it, so the page never outgrows the window.
    static func table(headers: [String], rows: [[String]], highlight: String? = nil) -> String {
        var html = "<div class=\"scroll\"><table><thead><tr>" + headers.map { "<th>\($0.markupEscaped)</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            let cls = highlight != nil && row.first == highlight ? " class=\"best\"" : ""
            html += "<tr\(cls)>" + row.map { "<td>\($0.markupEscaped)</td>" }.joined() + "</tr>"
        }
        return html + "</tbody></table></div>"
    }

    static let style = """
        body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
        h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
        table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}
        th{background:#f4f4f4}tr.best td{background:#fdecea;font-weight:bold}
        pre{background:#f7f7f7;border:1px solid #ddd;padding:.8em;overflow:auto}
        figure{margin:.5em 0}.grid{display:flex;flex-wrap:wrap;gap:.5em}.hint{color:#666;font-size:.9em}
        svg{background:#fff;max-width:100%;height:auto}.scroll{overflow-x:auto;max-width:100%}
        .live{background:#eef6ee;border:1px solid #bcdcbc;padding:.4em .8em}
        """
}
