// SVGPlots: the report's pictures as inline SVG — learning curves per trial, the metric against
// each parameter, and parallel coordinates — each mark titled with its trial for tooltips.
import Foundation

/// Inline SVG plots of sweep results. Every plot is a complete `<svg>` element with no
/// external resources; hovering a mark shows its trial (an SVG `<title>`).
public enum SVGPlots {
    /// The sweep metric against the epoch, one polyline per trial; the best trial drawn last,
    /// thick and red, the others coloured by their latest value (red best, blue-grey worst).
    /// For a job budgeted in steps the x axis is the optimizer step of each evaluation (the
    /// evaluation's index when a line did not record its step).
    public static func learningCurves(_ results: SweepResults, width: Double = 720, height: Double = 380) -> String {
        let name = results.metric.name
        let (axis, curves) = curvePoints(results)
        var canvas = SVGCanvas(width: width, height: height)
        let title = "\(name) by \(axis)"
        guard !curves.isEmpty else {
            canvas.empty("no \(results.progressUnit.rawValue) has reported \(name) yet", title: title)
            return canvas.rendered(label: title)
        }
        let positions = curves.flatMap { $0.1.map { Double($0.x) } }
        let values = curves.flatMap { $0.1.map(\.value) }
        var x = PlotScale(values: positions + [axis == "step" ? 0 : 1], log: false, from: canvas.left, to: canvas.right)
        x.integer = true
        let y = PlotScale(values: values, log: false, from: canvas.bottom, to: canvas.top)
        canvas.axes(x: x, y: y, xTitle: axis, yTitle: name, title: title)
        let latest = curves.map { $0.1.last!.value }
        let bestID = results.best?.id
        for (trial, curve) in curves.sorted(by: { ($0.0.id == bestID ? 1 : 0) < ($1.0.id == bestID ? 1 : 0) }) {
            let isBest = trial.id == bestID
            let colour = isBest ? "#d62728" : metricColour(goodness(curve.last!.value, among: latest, goal: results.metric.goal) * 0.8)
            let tip = "<title>\(tooltip(trial, results: results).markupEscaped)</title>"
            if curve.count == 1 {
                add(&canvas, "<circle cx=\"\(f(x(Double(curve[0].x))))\" cy=\"\(f(y(curve[0].value)))\" r=\"3\" fill=\"\(colour)\">\(tip)</circle>")
            } else {
                let points = curve.map { "\(f(x(Double($0.x)))),\(f(y($0.value)))" }.joined(separator: " ")
                add(&canvas, "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"\(isBest ? 3 : 1.5)\" "
                    + "stroke-opacity=\"\(isBest ? 1 : 0.75)\" class=\"\(isBest ? "best" : "trial")\">\(tip)</polyline>")
            }
        }
        if let bestID {
            canvas.text("— best: trial \(bestID)", x: canvas.right - 4, y: canvas.top + 14, anchor: "end", extra: " fill=\"#d62728\"")
        }
        return canvas.rendered(label: title)
    }

    /// The metric against one parameter over finished (filled) and stopped (hollow) trials: a log
    /// x axis for log-scaled parameters, one jittered column per value for categorical ones.
    public static func scatter(_ results: SweepResults, parameter: SweepParameter,
                               width: Double = 360, height: Double = 280) -> String {
        let name = results.metric.name
        let points = results.trials.filter { $0.status.isRanked && $0.metric != nil }
            .compactMap { t in t.configuration[parameter.name].map { (t, $0) } }
        var canvas = SVGCanvas(width: width, height: height)
        let title = "\(name) vs \(parameter.name)"
        guard !points.isEmpty else {
            canvas.empty("no finished trial yet", title: title)
            return canvas.rendered(label: title)
        }
        let values = points.map { $0.0.metric! }
        let y = PlotScale(values: values, log: false, from: canvas.bottom, to: canvas.top)
        let numeric = ParameterEffects.isNumeric(distribution: parameter.distribution, values: points.map(\.1))
        let logScale = ParameterEffects.isLogScale(distribution: parameter.distribution, values: points.map(\.1))
        let categories = orderedCategories(points.map(\.1), parameter: parameter)
        let x: PlotScale
        if numeric {
            x = PlotScale(values: points.map { $0.1.number! }, log: logScale, from: canvas.left, to: canvas.right)
            canvas.axes(x: x, y: y, xTitle: parameter.name, yTitle: name, title: title)
        } else {
            x = PlotScale(values: [-0.5, Double(categories.count) - 0.5], log: false, from: canvas.left, to: canvas.right)
            canvas.axes(x: x, y: y, xTitle: parameter.name, yTitle: name, title: title, xTicks: false)
            for (i, c) in categories.enumerated() {
                canvas.text(shorten(c, to: 18), x: x(Double(i)), y: canvas.bottom + 14, size: 10)
            }
        }
        let bestID = results.best?.id
        for (trial, value) in points {
            let px: Double
            if numeric { px = x(value.number!) } else {
                let column = Double(categories.firstIndex(of: value.description) ?? 0)
                px = x(column + jitter(trial.id) * 0.5)
            }
            let colour = trial.id == bestID ? "#d62728" : metricColour(goodness(trial.metric!, among: values, goal: results.metric.goal) * 0.8)
            let fill = trial.status == .stopped || trial.status == .paused ? "fill=\"white\" stroke=\"\(colour)\"" : "fill=\"\(colour)\" stroke=\"#333\" stroke-width=\"0.5\""
            add(&canvas, "<circle cx=\"\(f(px))\" cy=\"\(f(y(trial.metric!)))\" r=\"\(trial.id == bestID ? 5 : 3.5)\" \(fill)>"
                + "<title>\(tooltip(trial, results: results).markupEscaped)</title></circle>")
        }
        return canvas.rendered(label: title)
    }

    /// Parallel coordinates: one vertical axis per parameter and one for the metric; one line per
    /// finished, stopped or paused trial, coloured by its metric (red best), the best drawn thickest.
    public static func parallelCoordinates(_ results: SweepResults, height: Double = 380) -> String {
        let name = results.metric.name
        let trials = results.trials.filter { $0.status.isRanked && $0.metric != nil }
        let axes = results.parameters.count + 1
        var canvas = SVGCanvas(width: max(720, Double(axes) * 140), height: height, leftMargin: 80, rightMargin: 80)
        let title = "parallel coordinates"
        guard !trials.isEmpty else {
            canvas.empty("no finished trial yet", title: title)
            return canvas.rendered(label: title)
        }
        canvas.text(title, x: canvas.width / 2, y: 18, size: 13, extra: " font-weight=\"bold\"")
        let spacing = (canvas.right - canvas.left) / Double(max(axes - 1, 1))
        let top = canvas.top + 16
        // Each axis maps a trial to a y pixel, or nil when the trial lacks the parameter.
        var mappers: [(Double, (TrialResult) -> Double?)] = []
        for (i, p) in results.parameters.enumerated() {
            let ax = canvas.left + Double(i) * spacing
            let present = trials.compactMap { $0.configuration[p.name] }
            let numeric = ParameterEffects.isNumeric(distribution: p.distribution, values: present)
            let logScale = ParameterEffects.isLogScale(distribution: p.distribution, values: present)
            if numeric {
                let scale = PlotScale(values: present.map { $0.number! }, log: logScale, from: canvas.bottom, to: top)
                for t in scale.ticks(target: 4) { tick(&canvas, x: ax, y: scale(t.value), label: t.label) }
                mappers.append((ax, { t in t.configuration[p.name]?.number.map { scale($0) } }))
            } else {
                let categories = orderedCategories(present, parameter: p)
                let scale = PlotScale(values: [-0.5, Double(categories.count) - 0.5], log: false, from: canvas.bottom, to: top)
                for (k, c) in categories.enumerated() { tick(&canvas, x: ax, y: scale(Double(k)), label: shorten(c, to: 14)) }
                mappers.append((ax, { t in t.configuration[p.name].flatMap { categories.firstIndex(of: $0.description) }.map { scale(Double($0)) } }))
            }
            axis(&canvas, x: ax, top: top, label: p.name + (logScale && numeric ? " (log)" : ""))
        }
        let values = trials.map { $0.metric! }
        let metricScale = PlotScale(values: values, log: false, from: canvas.bottom, to: top)
        let mx = canvas.left + Double(axes - 1) * spacing
        for t in metricScale.ticks(target: 4) { tick(&canvas, x: mx, y: metricScale(t.value), label: t.label) }
        mappers.append((mx, { t in t.metric.map { metricScale($0) } }))
        axis(&canvas, x: mx, top: top, label: name)

        let bestID = results.best?.id
        for trial in trials.sorted(by: { ($0.id == bestID ? 1 : 0) < ($1.id == bestID ? 1 : 0) }) {
            let points = mappers.compactMap { ax, map in map(trial).map { "\(f(ax)),\(f($0))" } }
            let isBest = trial.id == bestID
            let colour = isBest ? "#d62728" : metricColour(goodness(trial.metric!, among: values, goal: results.metric.goal) * 0.8)
            add(&canvas, "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" "
                + "stroke-width=\"\(isBest ? 3 : 1.3)\" stroke-opacity=\"\(isBest ? 1 : 0.7)\">"
                + "<title>\(tooltip(trial, results: results).markupEscaped)</title></polyline>")
        }
        return canvas.rendered(label: title)
    }

    /// The learning curves' x axis title (`epoch`, `step`, or `evaluation` when some evaluation
    /// did not record its step) and each trial's points on it, trials without points left out.
    static func curvePoints(_ results: SweepResults) -> (axis: String, curves: [(TrialResult, [(x: Int, value: Double)])]) {
        let name = results.metric.name
        guard results.progressUnit == .evaluation else {
            return ("epoch", results.trials.map { t in (t, t.curve(name).map { (x: $0.epoch, value: $0.value) }) }.filter { !$0.1.isEmpty })
        }
        let evaluations = results.trials.map { ($0, $0.evaluationCurve(name)) }.filter { !$0.1.isEmpty }
        let everyStepKnown = evaluations.allSatisfy { $0.1.allSatisfy { $0.step != nil } }
        return (everyStepKnown ? "step" : "evaluation",
                evaluations.map { t, curve in (t, curve.map { (x: everyStepKnown ? $0.step! : $0.evaluation, value: $0.value) }) })
    }

    // MARK: helpers

    private static func add(_ canvas: inout SVGCanvas, _ element: String) { canvas.add(element) }

    private static func axis(_ canvas: inout SVGCanvas, x: Double, top: Double, label: String) {
        canvas.add("<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(canvas.bottom))\" stroke=\"#555\"/>")
        canvas.text(shorten(label, to: 22), x: x, y: canvas.bottom + 18, size: 11, extra: " font-weight=\"bold\"")
    }

    private static func tick(_ canvas: inout SVGCanvas, x: Double, y: Double, label: String) {
        canvas.add("<line x1=\"\(f(x - 3))\" y1=\"\(f(y))\" x2=\"\(f(x + 3))\" y2=\"\(f(y))\" stroke=\"#555\"/>")
        canvas.text(label, x: x + 5, y: y + 3, anchor: "start", size: 9, extra: " fill=\"#444\"")
    }

    /// Tooltip text: trial, status, metric and parameter values.
    static func tooltip(_ t: TrialResult, results: SweepResults) -> String {
        let metric = t.metric.map(ReportTable.number) ?? t.curve(results.metric.name).last.map { ReportTable.number($0.value) + " (latest)" } ?? "-"
        let params = results.parameters.compactMap { p in t.configuration[p.name].map { "\(p.name) = \($0)" } }
        return (["trial \(t.id) (\(t.status.rawValue)): \(results.metric.name) \(metric)"] + params).joined(separator: "\n")
    }

    /// Distinct values in the order the parameter lists them (categorical), else sorted.
    static func orderedCategories(_ values: [ParameterValue], parameter: SweepParameter) -> [String] {
        let present = Set(values.map(\.description))
        if case .categorical(let listed) = parameter.distribution {
            let ordered = listed.map(\.description).filter { present.contains($0) }
            return ordered + present.subtracting(ordered).sorted()
        }
        if values.allSatisfy({ $0.number != nil }) {
            return Array(Dictionary(values.map { ($0.description, $0.number!) }, uniquingKeysWith: { a, _ in a })
                .sorted { $0.value < $1.value }.map(\.key))
        }
        return present.sorted()
    }

    /// A deterministic offset in [-0.5, 0.5) for trial `id` (no randomness: the same report every time).
    static func jitter(_ id: Int) -> Double {
        var h = UInt64(truncatingIfNeeded: id) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 31
        return Double(h % 1000) / 1000 - 0.5
    }

    static func shorten(_ s: String, to n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }
}
