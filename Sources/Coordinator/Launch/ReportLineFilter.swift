// ReportLineFilter: keeps a restarted run's standard output as one uninterrupted run would print it —
// the per-epoch or per-evaluation lines the failed attempt printed, and the restart trains again, are
// not printed twice.
import Foundation

/// Drops, from the second attempt on, report lines (`epoch E/B  step S ...`, `step S/B ...` or a
/// JSON object with a `step`, not `final`) whose step an earlier attempt already printed.
final class ReportLineFilter: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var printedThrough = Int.min
    private var floor = Int.min

    /// From now on, lines of steps printed so far are left out.
    func newAttempt() { lock.withLock { floor = printedThrough } }

    /// The line, or nothing when it repeats a report.
    func feed(_ line: String) -> [String] {
        guard let step = Self.reportStep(line) else { return [line] }
        return lock.withLock {
            if step <= floor { return [] }
            printedThrough = max(printedThrough, step)
            return [line]
        }
    }

    /// The step a report line is for, nil for any other line.
    static func reportStep(_ line: String) -> Int? {
        if line.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["final"] as? Bool != true, object["event"] == nil else { return nil }
            return (object["step"] as? NSNumber)?.intValue
        }
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 2, words[0] == "epoch" || words[0] == "step" else { return nil }
        let index = words[0] == "step" ? 1 : words.firstIndex(of: "step").map { $0 + 1 }
        guard let index, index < words.count else { return nil }
        return Int(words[index].split(separator: "/").first ?? "")
    }
}
