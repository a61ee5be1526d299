// LineageReport: population-based training's lineage in each report format — a table of every
// member's generations (who it copied, what changed, what it reached), the best model's schedule
// with the commands that train it again, and an SVG of who copied whom.
import Foundation

extension PopulationLineage {
    /// The lineage rows: generation (1-based), its epochs, trial, the member it copied (or "-"),
    /// the metric it reached at the generation's end, and the hyperparameters that changed.
    func rows(_ results: SweepResults) -> [[String]] {
        entries.map { e in
            let span = span(e.generation)
            return [String(e.generation + 1), "\(span.lowerBound)–\(span.upperBound)", String(e.trial), e.source.map(String.init) ?? "-",
                    results.reported(e.trial, at: span.upperBound).map(ReportTable.number) ?? "-",
                    changes(e, parameters: results.parameters).joined(separator: ", ")]
        }
    }

    /// The headers of `rows`.
    static func headers(_ results: SweepResults) -> [String] {
        ["generation", results.progressUnit.plural, "trial", "copied", results.metric.name + " at its end", "hyperparameters (changed)"]
    }

    /// The schedule's rows: epochs, whose training, and every parameter's value.
    static func scheduleRows(_ schedule: [ScheduleStretch], parameters: [SweepParameter]) -> [[String]] {
        schedule.map { s in
            ["\(s.from)–\(s.to)", String(s.trial)] + parameters.map { p in s.configuration[p.name].map(ReportTable.display) ?? "-" }
        }
    }
}

extension ReportTable {
    /// The lineage section of the text report (nothing for other methods).
    static func lineageSection(_ results: SweepResults) -> [String] {
        guard let lineage = results.lineage else { return [] }
        var out = ["", "population-based training: \(lineage.generations) generation(s) of \(lineage.interval) \(results.progressUnit.plural) recorded:"]
        var table = TextTable(headers: PopulationLineage.headers(results))
        for row in lineage.rows(results) { table.add(row) }
        out.append(table.rendered)
        guard let best = results.best, !results.bestSchedule.isEmpty else { return out }
        out += ["", "the schedule behind trial \(best.id)'s final model:"]
        var schedule = TextTable(headers: [results.progressUnit.plural, "trained by"] + results.parameters.map(\.name))
        for row in PopulationLineage.scheduleRows(results.bestSchedule, parameters: results.parameters) { schedule.add(row) }
        out.append(schedule.rendered)
        guard results.bestYAML != nil else { return out }   // a program's schedule is the program's to replay
        out += ["", "to train it again (best.yaml below; the same model, training being deterministic):"]
        out += lineage.replayCommands(results.bestSchedule, parameters: results.parameters).map { "  " + $0 }
        return out
    }
}

extension SVGPlots {
    /// Who copied whom: one row per member, one column per generation's end; a member's line
    /// runs on from its own dot, or (dashed, red) from the dot of the member it copied; dots are
    /// coloured by the metric reached (red the best). Hover a dot for its values.
    public static func lineage(_ results: SweepResults, columnWidth: Double = 110, rowHeight: Double = 26) -> String {
        let title = "lineage: who copied whom"
        guard let lineage = results.lineage, lineage.generations > 0 else {
            var canvas = SVGCanvas(width: 480, height: 120)
            canvas.empty("no generation recorded yet", title: title)
            return canvas.rendered(label: title)
        }
        let members = Array(Set(lineage.entries.map(\.trial))).sorted()
        let width = max(480, 120 + Double(lineage.generations) * columnWidth)
        var canvas = SVGCanvas(width: width, height: 80 + Double(members.count) * rowHeight, leftMargin: 80, rightMargin: 30)
        canvas.text(title, x: width / 2, y: 18, size: 13, extra: " font-weight=\"bold\"")
        func x(_ boundary: Int) -> Double { canvas.left + Double(boundary) * (canvas.right - canvas.left) / Double(lineage.generations) }
        func y(_ trial: Int) -> Double { canvas.top + 16 + Double(members.firstIndex(of: trial) ?? 0) * rowHeight }
        for trial in members { canvas.text("trial \(trial)", x: canvas.left - 12, y: y(trial) + 4, anchor: "end", size: 10) }
        for boundary in 0...lineage.generations {
            let label = boundary == 0 ? "start" : "\(results.progressUnit.rawValue) \(lineage.span(boundary - 1).upperBound)"
            canvas.text(label, x: x(boundary), y: canvas.top + 16 + Double(members.count) * rowHeight + 6, size: 10, extra: " class=\"xtick\"")
        }
        let values = lineage.entries.compactMap { results.reported($0.trial, at: lineage.span($0.generation).upperBound) }
        let goal = results.metric.goal
        let best = goal == .minimize ? values.min() : values.max()
        for e in lineage.entries {
            let from = e.source ?? e.trial
            let copied = e.source != nil
            canvas.add("<line x1=\"\(f(x(e.generation)))\" y1=\"\(f(y(from)))\" x2=\"\(f(x(e.generation + 1)))\" y2=\"\(f(y(e.trial)))\" "
                       + "stroke=\"\(copied ? "#d62728" : "#999")\" stroke-width=\"\(copied ? 1.5 : 1)\"\(copied ? " stroke-dasharray=\"4 3\"" : "")/>")
        }
        for e in lineage.entries {
            let end = lineage.span(e.generation).upperBound
            let value = results.reported(e.trial, at: end)
            let colour = value.map { $0 == best ? "#d62728" : metricColour(goodness($0, among: values, goal: goal) * 0.8) } ?? "#ccc"
            let tip = "trial \(e.trial), generation \(e.generation + 1)" + (e.source.map { ", copied trial \($0)" } ?? "")
                + ": \(results.metric.name) " + (value.map(ReportTable.number) ?? "-") + " at \(results.progressUnit.rawValue) \(end)\n"
                + lineage.changes(e, parameters: results.parameters).joined(separator: "\n")
            canvas.add("<circle cx=\"\(f(x(e.generation + 1)))\" cy=\"\(f(y(e.trial)))\" r=\"5\" fill=\"\(colour)\" stroke=\"#333\" "
                       + "stroke-width=\"0.5\"><title>\(tip.markupEscaped)</title></circle>")
        }
        return canvas.rendered(label: title)
    }
}
