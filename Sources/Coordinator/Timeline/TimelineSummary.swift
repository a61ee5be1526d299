// TimelineSummary: where each rank's step time goes (medians of compute, communication, update)
// and which rank, if any, is a straggler — the one whose own work between two gradient
// exchanges is consistently the longest, so that the others wait for it in every collective.
import Foundation

/// Per-rank medians over the steps recorded, and the straggler.
public struct TimelineSummary: Sendable {
    /// One rank's medians, in milliseconds per step.
    public struct RankFigures: Sendable {
        public var rank: Int
        public var host: String
        public var steps: Int
        public var step: Double
        /// Gather, forward and backward of every micro-step.
        public var compute: Double
        /// Inside the collectives of the exchange (waiting for slower ranks included).
        public var communication: Double
        /// Clipping and the optimizer update.
        public var update: Double
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
    /// …over at least this many steps.
    public static let minimumSteps = 10

    /// Summarises `timelines`.
    public init(_ timelines: [RankTimeline]) {
        var figures: [RankFigures] = []
        // busy[rank][(session zero, step)] = milliseconds
        var busyByRank: [Int: [StepKey: Double]] = [:]
        var stepKeys = Set<StepKey>()
        for rank in timelines {
            var step: [Double] = [], compute: [Double] = [], communication: [Double] = [], update: [Double] = []
            var busy: [StepKey: Double] = [:]
            for session in rank.sessions {
                let zero = session.header.wallZeroMicroseconds
                let steps = Self.steps(session.spans)
                for (number, s) in steps where !s.failed && s.total != nil {
                    stepKeys.insert(StepKey(zero: zero, step: number))
                    step.append(s.total!)
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
            busyByRank[rank.rank] = busy
            figures.append(RankFigures(rank: rank.rank, host: rank.sessions.last?.header.host ?? "?", steps: step.count,
                                       step: median(step), compute: median(compute), communication: median(communication),
                                       update: median(update), busy: busy.isEmpty ? nil : median(Array(busy.values))))
        }
        ranks = figures
        steps = stepKeys.count
        unreadableLines = timelines.reduce(0) { $0 + $1.unreadableLines }
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

    /// Each step's figures from a session's spans.
    static func steps(_ spans: [TimelineSpan]) -> [Int: StepFigures] {
        var result: [Int: StepFigures] = [:]
        for span in spans {
            let ms = Double(span.durationNanoseconds) / 1e6
            if !span.inStep {
                result[span.step + 1, default: StepFigures()].followsBetweenStepWork = true
                continue
            }
            var s = result[span.step, default: StepFigures()]
            if span.failed { s.failed = true }
            switch span.name {
            case "step": s.total = ms
            case "gather", "forward", "backward": s.compute += ms
            case "all_reduce", "reduce_scatter", "all_gather": s.communication += ms
            case "clip", "update": s.update += ms
            case "exchange": (s.exchangeBegin, s.exchangeEnd) = (span.beginNanoseconds, span.endNanoseconds)
            default: break
            }
            result[span.step] = s
        }
        return result
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
        guard others.isFinite, busyMs >= slowdown * others else { return nil }
        return Straggler(rank: rank, host: mine.host, busy: busyMs, othersBusy: others, slowestFraction: Double(count) / Double(compared))
    }

    /// A table for people: one row per rank, then the straggler or that there is none.
    public var text: String {
        var table = TextTable(headers: ["rank", "host", "steps", "step ms", "compute ms", "communication ms", "update ms", "own work ms"])
        for r in ranks {
            table.add([String(r.rank), r.host, String(r.steps), Self.ms(r.step), Self.ms(r.compute), Self.ms(r.communication),
                       Self.ms(r.update), r.busy.map(Self.ms) ?? "-"])
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
                var o: [String: Any] = ["rank": r.rank, "host": r.host, "steps": r.steps, "step_ms": r.step, "compute_ms": r.compute,
                                        "communication_ms": r.communication, "update_ms": r.update]
                if let busy = r.busy { o["own_work_ms"] = busy }
                return o
            },
        ]
        if let s = straggler {
            object["straggler"] = ["rank": s.rank, "host": s.host, "own_work_ms": s.busy, "others_own_work_ms": s.othersBusy,
                                   "slowest_fraction": s.slowestFraction, "sentence": s.sentence]
        }
        return object
    }

    private static func ms(_ value: Double) -> String { value.isFinite ? String(format: "%.3f", value) : "-" }
}
