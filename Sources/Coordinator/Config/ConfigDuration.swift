// ConfigDuration: how every duration in a config is written — seconds as a number, or a number
// with a unit (`90`, `90s`, `30m`, `2h`) — for sweep.trial_timeout, cluster.restarts and checkpoints.

extension ConfigValue {
    /// Seconds, as a number or a string with a unit: `90`, `90s`, `30m`, `2h`, within `range`
    /// (default 1 s to 30 days).
    public func duration(in range: ClosedRange<Double> = 1...(30 * 86_400)) throws -> Double {
        let hint = "seconds (e.g. 600) or a number with s, m or h (e.g. 30m), from \(Self.describe(range.lowerBound)) "
            + "to \(Self.describe(range.upperBound))"
        let seconds: Double
        if let number = try? double() {
            seconds = number
        } else {
            let text = try string().trimmingCharacters(in: .whitespaces)
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
            guard let unit = text.last.flatMap({ units[$0] }), let number = Double(text.dropLast()), number.isFinite else {
                throw error("'\(text)' is not a duration", hint: hint)
            }
            seconds = number * unit
        }
        guard range.contains(seconds) else { throw error("\(shown) is out of range", hint: hint) }
        return seconds
    }

    /// `30 days`, `1 s`, `0 s`: a bound of a duration range, in the largest whole unit.
    static func describe(_ seconds: Double) -> String { durationText(seconds) }
}

/// A duration for people, in the largest unit it is a whole number of (`30 days`, `1 day`, `2 h`,
/// `30 m`, `10 s`), else in seconds (`2.5 s`).
public func durationText(_ seconds: Double) -> String {
    for (unit, size) in [("days", 86_400.0), ("h", 3600), ("m", 60)] where seconds >= size && seconds.truncatingRemainder(dividingBy: size) == 0 {
        let count = Int(seconds / size)
        return "\(count) \(unit == "days" && count == 1 ? "day" : unit)"
    }
    return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%g s", seconds)
}

/// An estimated duration for people, rounded to its scale: `90 s`, `12 min`, `3.5 h`, `12 days`;
/// past 1,000 days (a sweep of millions of trials) only `1,000+ days`.
public func roughDurationText(_ seconds: Double) -> String {
    guard !seconds.isNaN else { return "an unknown time" }
    if seconds < 120 { return String(format: "%.0f s", seconds) }
    if seconds < 7200 { return String(format: "%.0f min", seconds / 60) }
    if seconds < 72 * 3600 { return String(format: "%.1f h", seconds / 3600) }
    if seconds < 1000 * 86_400 { return String(format: "%.0f days", seconds / 86_400) }
    return "1,000+ days"
}
