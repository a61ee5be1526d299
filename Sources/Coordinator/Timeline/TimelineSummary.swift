// TimelineSummary: where each rank's step time goes (medians of compute, communication, update)
// and which rank, if any, is a straggler — the one whose own work between two gradient
// exchanges is consistently the longest, so that the others wait for it in every collective.
// Figures are gathered span by span (`RankAccumulator`), so a long timeline is never held whole.
import Foundation
import Worker

/// Per-rank medians over the steps recorded, and the straggler.
public struct TimelineSummary: Sendable {
    /// One rank's medians, in milliseconds per step.
    public struct RankFigures: Sendable {
        public var rank: Int
        public var host: String
        public var steps: Int
        /// Each median is nil when the rank recorded no whole step.
        public var step: Double?
        /// Gather, forward and backward of every micro-step.
        public var compute: Double?
        /// Inside the collectives of the exchange (waiting for slower ranks included).
        public var communication: Double?
        /// Clipping and the optimizer update.
        public var update: Double?
        /// The rank's own work from leaving one exchange to entering the next (nil: under 2 steps).
        public var busy: Double?
    }

    /// A rank slower than the others in most steps.
    public struct Straggler: Sendable {
        public var rank: Int
        public var host: String
        /// Its median busy milliseconds, and the median of the other ranks' medians.
        public var busy: Double
        public var othersBusy: Double
        /// The fraction of compared steps in which it was the slowest.
        public var slowestFraction: Double

        /// One sentence naming it.
        public var sentence: String {
            String(format: "rank %d on %@ is a straggler: %.2f ms of its own work per step (median) against %.2f ms on the other ranks, the slowest in %.0f%% of steps; the others wait for it in every gradient exchange",
                   rank, host, busy, othersBusy, slowestFraction * 100)
        }
    }

    public var ranks: [RankFigures]
    public var straggler: Straggler?
    /// Distinct steps recorded (by session and step).
    public var steps: Int
    /// Lines of the rank files that could not be read (skipped).
    public var unreadableLines: Int

    /// A rank is a straggler when it is the slowest in at least this fraction of the steps compared…
    public static let slowestFraction = 0.75
    /// …and its median busy time is at least this many times the other ranks' (median of medians)…
    public static let slowdown = 1.25
    /// …and by at least this many milliseconds (what costs the others less is not worth naming)…
    public static let minimumDifference = 1.0
    /// …over at least this many steps.
    public static let minimumSteps = 10

    /// One rank's figures, gathered span by span as its file is read.
    public struct RankAccumulator {
        public let rank: Int
        /// The host of the rank's newest session.
        public private(set) var host = "?"
        private var sessions: [(zero: Int, steps: [Int: StepFigures])] = []

        public init(rank: Int) { self.rank = rank }

        /// A new session begins.
        public mutating func begin(_ header: TimelineHeader) {
            host = header.host
            sessions.append((header.wallZeroMicroseconds, [:]))
        }

        /// A span of the current session.
        public mutating func add(_ span: TimelineSpan) {
            guard !sessions.isEmpty else { return }
            let ms = Double(span.durationNanoseconds) / 1e6
            let last = sessions.count - 1
            if !span.inStep {
                sessions[last].steps[span.step + 1, default: StepFigures()].followsBetweenStepWork = true
                return
            }
            var s = sessions[last].steps[span.step, default: StepFigures()]
            if span.failed { s.failed = true }
            switch span.name {
            case "step": s.total = ms
            case "gather", "forward", "backward": s.compute += ms
            case "all_reduce", "reduce_scatter", "all_gather", "norm_sum": s.communication += ms
            case "clip", "update": s.update += ms
            case "exchange": (s.exchangeBegin, s.exchangeEnd) = (span.beginNanoseconds, span.endNanoseconds)
            default: break
            }
            sessions[last].steps[span.step] = s
        }

        /// The rank's medians, and its own work per step by session and step.
        func figures() -> (RankFigures, [StepKey: Double]) {
            var step: [Double] = [], compute: [Double] = [], communication: [Double] = [], update: [Double] = []
            var busy: [StepKey: Double] = [:]
            for (zero, steps) in sessions {
                for (number, s) in steps where !s.failed {
                    guard let total = s.total else { continue }
                    step.append(total)
                    compute.append(s.compute)
                    communication.append(s.communication)
                    update.append(s.update)
                    // Work between the previous exchange and this one, unless something ran between the steps.
                    if let previous = steps[number - 1], !previous.failed, !s.followsBetweenStepWork,
                       let end = previous.exchangeEnd, let begin = s.exchangeBegin, begin >= end {
                        busy[StepKey(zero: zero, step: number)] = Double(begin - end) / 1e6
                    }
                }
            }
            func middle(_ values: [Double]) -> Double? { values.isEmpty ? nil : median(values) }
            return (RankFigures(rank: rank, host: host, steps: step.count, step: middle(step), compute: middle(compute),
                                communication: middle(communication), update: middle(update), busy: middle(Array(busy.values))), busy)
        }

        /// The steps of every session, by session and step.
        var stepKeys: Set<StepKey> {
            Set(sessions.flatMap { session in session.steps.filter { !$0.value.failed && $0.value.total != nil }.keys.map { StepKey(zero: session.zero, step: $0) } })
        }
    }

    /// Summarises the ranks' accumulated figures; `unreadableLines` were skipped while reading.
    public init(_ accumulators: [RankAccumulator], unreadableLines: Int) {
        var figures: [RankFigures] = []
        var busyByRank: [Int: [StepKey: Double]] = [:]
        var keys = Set<StepKey>()
        for accumulator in accumulators {
            let (rank, busy) = accumulator.figures()
            figures.append(rank)
            busyByRank[accumulator.rank] = busy
            keys.formUnion(accumulator.stepKeys)
        }
        ranks = figures
        steps = keys.count
        self.unreadableLines = unreadableLines
        straggler = Self.straggler(figures, busyByRank)
    }

    /// One session and step: the same on every rank of that session.
    struct StepKey: Hashable { var zero: Int; var step: Int }

    /// One step's figures on one rank, in milliseconds.
    struct StepFigures {
        var total: Double?
        var compute = 0.0, communication = 0.0, update = 0.0
        var exchangeBegin: Int?, exchangeEnd: Int?
        var failed = false
        /// Evaluation or a checkpoint ran after the previous step.
        var followsBetweenStepWork = false
    }

    /// The rank slowest in most compared steps, if it clears both thresholds.
    static func straggler(_ figures: [RankFigures], _ busy: [Int: [StepKey: Double]]) -> Straggler? {
        guard figures.count >= 2 else { return nil }
        var slowest: [Int: Int] = [:]
        var compared = 0
        let keys = Set(busy.values.flatMap(\.keys))
        for key in keys {
            let values = busy.compactMap { rank, steps in steps[key].map { (rank: rank, ms: $0) } }
            guard values.count >= 2, let top = values.max(by: { $0.ms < $1.ms }) else { continue }
            compared += 1
            // A tie has no slowest rank.
            if values.filter({ $0.ms == top.ms }).count == 1 { slowest[top.rank, default: 0] += 1 }
        }
        guard compared >= minimumSteps, let (rank, count) = slowest.max(by: { $0.value < $1.value }),
              Double(count) >= slowestFraction * Double(compared),
              let mine = figures.first(where: { $0.rank == rank }), let busyMs = mine.busy else { return nil }
        let others = median(figures.filter { $0.rank != rank }.compactMap(\.busy))
        guard others.isFinite, busyMs >= slowdown * others, busyMs - others >= minimumDifference else { return nil }
        return Straggler(rank: rank, host: mine.host, busy: busyMs, othersBusy: others, slowestFraction: Double(count) / Double(compared))
    }

    /// A table for people: one row per rank, then the straggler or that there is none.
    public var text: String {
        var table = TextTable(headers: ["rank", "host", "steps", "step ms", "compute ms", "communication ms", "update ms", "own work ms"])
        for r in ranks {
            table.add([String(r.rank), r.host, String(r.steps), Self.ms(r.step), Self.ms(r.compute), Self.ms(r.communication),
                       Self.ms(r.update), Self.ms(r.busy)])
        }
        var lines = [table.rendered, "(medians over steps; communication includes waiting for slower ranks)"]
        if let straggler { lines.append(straggler.sentence) } else if ranks.count > 1 { lines.append("no straggler: no rank is consistently slower than the others") }
        if unreadableLines > 0 { lines.append("\(unreadableLines) unreadable line\(unreadableLines == 1 ? "" : "s") of the rank files skipped") }
        return lines.joined(separator: "\n")
    }

    /// The figures as a JSON object.
    public var json: [String: Any] {
        var object: [String: Any] = [
            "steps": steps, "unreadable_lines": unreadableLines,
            "ranks": ranks.map { r -> [String: Any] in
                var o: [String: Any] = ["rank": r.rank, "host": r.host, "steps": r.steps]
                for (key, value) in [("step_ms", r.step), ("compute_ms", r.compute), ("communication_ms", r.communication),
                                     ("update_ms", r.update), ("own_work_ms", r.busy)] {
                    if let value, value.isFinite { o[key] = value }
                }
                return o
            },
        ]
        if let s = straggler {
            object["straggler"] = ["rank": s.rank, "host": s.host, "own_work_ms": s.busy, "others_own_work_ms": s.othersBusy,
                                   "slowest_fraction": s.slowestFraction, "sentence": s.sentence]
        }
        return object
    }

    private static func ms(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }
}
