// SVGChart: the drawing kit the report's plots share — linear and log scales with readable
// ticks, a plot frame with axes and labels, and a colour ramp from worst to best metric.
import Foundation

/// Maps data values to pixels along one axis, linearly or on a log10 scale.
struct PlotScale {
    var low: Double
    var high: Double
    var log: Bool
    /// Pixel positions of `low` and `high` (for a y axis, `from` is the bottom).
    var from: Double
    var to: Double
    /// Whether only whole-number ticks make sense (epochs).
    var integer = false
    /// On a log scale of values with zeros among them, where 0 sits (as log10: a decade below
    /// the smallest positive value's), labelled `0`.
    var zeroDecade: Double?

    /// A scale covering `values` with 5% margin (a log scale needs values ≥ 0, some positive; it
    /// falls back to linear otherwise). A single value gets a range around it.
    init(values: [Double], log: Bool, from: Double, to: Double) {
        let useLog = log && !values.isEmpty && values.allSatisfy { $0 >= 0 } && values.contains { $0 > 0 }
        zeroDecade = useLog && values.contains(0) ? ParameterEffects.zeroDecade(values) : nil
        let data = useLog ? ParameterEffects.logPositions(values) : values
        var lo = data.min() ?? 0, hi = data.max() ?? 1
        // Values a few ulps apart (one accuracy computed two ways) count as one: a span that
        // small has no tick step a Double can add.
        if hi - lo <= max(max(abs(lo), abs(hi)) * 1e-9, 1e-290) {
            let middle = lo + (hi - lo) / 2
            (lo, hi) = abs(middle) < 1e-290 ? (-1, 1) : (middle - abs(middle) * 0.1, middle + abs(middle) * 0.1)
        }
        let pad = (hi - lo) * 0.05
        self.low = lo - pad
        self.high = hi + pad
        self.log = useLog
        self.from = from
        self.to = to
    }

    /// Pixel position of `value`.
    func callAsFunction(_ value: Double) -> Double {
        let v = log ? (value > 0 ? log10(value) : zeroDecade ?? log10(.leastNormalMagnitude)) : value
        return from + (v - low) / (high - low) * (to - from)
    }

    /// Tick values with labels: powers of ten (and 2·, 5· when few) on a log scale, and `0` where
    /// a zero sits; 1-2-5 steps on a linear one (the step giving closest to `target` ticks), all
    /// inside the range.
    func ticks(target: Int = 5) -> [(value: Double, label: String)] {
        if log {
            var ticks: [Double] = []
            for e in Int(floor(low))...Int(ceil(high)) {
                for m in [1.0, 2.0, 5.0] where m == 1 || high - low < 2 {
                    let v = m * pow(10, Double(e))
                    // Ticks near where 0 sits would read as values it does not have.
                    if let zeroDecade, log10(v) < zeroDecade + 0.5 { continue }
                    if log10(v) >= low && log10(v) <= high { ticks.append(v) }
                }
            }
            return (zeroDecade == nil ? [] : [(0, "0")]) + ticks.map { ($0, Self.label($0)) }
        }
        let raw = (high - low) / Double(target)
        let magnitude = pow(10, floor(log10(raw)))
        var step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }
            .min { abs((high - low) / $0 - Double(target)) < abs((high - low) / $1 - Double(target)) } ?? raw
        if integer { step = max(1, step.rounded()) }
        var ticks: [(Double, String)] = []
        var v = ceil(low / step) * step
        while v <= high + step * 1e-9 && ticks.count <= 4 * target {   // bounded however the step rounds
            ticks.append((abs(v) < step * 1e-9 ? 0 : v, Self.label(abs(v) < step * 1e-9 ? 0 : v)))
            v += step
        }
        return ticks
    }

    /// A compact tick label: 4 significant digits.
    static func label(_ v: Double) -> String { String(format: "%.4g", v) }
}

/// One SVG picture built up from elements; `rendered` wraps them in an `<svg>` root.
struct SVGCanvas {
    let width: Double
    let height: Double
    /// Plot area inside the margins.
    let left: Double, right: Double, top = 30.0, bottom: Double
    private(set) var elements: [String] = []

    /// A canvas whose plot area leaves `leftMargin` (default 64, room for y tick labels) and
    /// `rightMargin` (default 20) pixels at the sides.
    init(width: Double, height: Double, leftMargin: Double = 64, rightMargin: Double = 20) {
        self.width = width
        self.height = height
        left = leftMargin
        right = width - rightMargin
        bottom = height - 46
    }

    mutating func add(_ element: String) { elements.append(element) }

    /// Text at (x, y); `anchor` start, middle or end.
    mutating func text(_ s: String, x: Double, y: Double, anchor: String = "middle", size: Int = 11, extra: String = "") {
        add("<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\"\(extra)>\(s.markupEscaped)</text>")
    }

    /// A frame with x and y ticks, grid lines and axis titles.
    mutating func axes(x: PlotScale, y: PlotScale, xTitle: String, yTitle: String, title: String, xTicks: Bool = true) {
        text(title, x: width / 2, y: 18, size: 13, extra: " font-weight=\"bold\"")
        add("<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" height=\"\(f(bottom - top))\" fill=\"none\" stroke=\"#888\"/>")
        for t in y.ticks() {
            let py = y(t.value)
            add("<line x1=\"\(f(left))\" y1=\"\(f(py))\" x2=\"\(f(right))\" y2=\"\(f(py))\" stroke=\"#eee\"/>")
            text(t.label, x: left - 5, y: py + 4, anchor: "end", size: 10)
        }
        if xTicks {
            for t in x.ticks() {
                let px = x(t.value)
                add("<line x1=\"\(f(px))\" y1=\"\(f(top))\" x2=\"\(f(px))\" y2=\"\(f(bottom))\" stroke=\"#eee\"/>")
                text(t.label, x: px, y: bottom + 14, size: 10, extra: " class=\"xtick\"")
            }
        }
        text(xTitle + (x.log ? " (log scale)" : ""), x: (left + right) / 2, y: height - 8)
        add("<text transform=\"translate(14,\(f((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\">"
            + (yTitle + (y.log ? " (log scale)" : "")).markupEscaped + "</text>")
    }

    /// A centred message for a plot with nothing to draw.
    mutating func empty(_ message: String, title: String) {
        text(title, x: width / 2, y: 18, size: 13, extra: " font-weight=\"bold\"")
        text(message, x: width / 2, y: height / 2, extra: " fill=\"#777\"")
    }

    /// The picture as an inline `<svg>` element with an accessible label.
    func rendered(label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" "
            + "role=\"img\" aria-label=\"\(label.markupEscaped)\" font-family=\"sans-serif\">\n"
            + elements.joined(separator: "\n") + "\n</svg>"
    }
}

/// A coordinate with one decimal, as SVG attributes take it.
func f(_ v: Double) -> String { String(format: "%.1f", v.isFinite ? v : 0) }

/// Colour of a metric value: blue-grey for the worst, through amber, to red for the best.
/// `position` is 0 for the worst value and 1 for the best.
func metricColour(_ position: Double) -> String {
    let stops: [(Double, Double, Double)] = [(120, 144, 180), (230, 170, 40), (214, 39, 40)]
    let t = max(0, min(1, position.isFinite ? position : 0)) * 2
    let i = min(Int(t), 1)
    let u = t - Double(i)
    let (a, b) = (stops[i], stops[i + 1])
    func mix(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * u).rounded()) }
    return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Position of `value` between the worst and best of `values` for `goal` (0 worst, 1 best).
func goodness(_ value: Double, among values: [Double], goal: MetricGoal) -> Double {
    guard let lo = values.min(), let hi = values.max(), hi > lo else { return 1 }
    let t = (value - lo) / (hi - lo)
    return goal == .minimize ? 1 - t : t
}
