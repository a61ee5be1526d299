// TimelineSummaryTests: the timeline's arithmetic on made-up spans — reading rank files (torn
// lines counted), per-rank medians, the straggler rule at and around its thresholds, and the
// trace's exact microsecond times.
import Foundation
import Testing
@testable import Coordinator
import Worker

struct TimelineSummaryTests {
    /// A session of `steps` steps of one rank: each step spends `work` ms before its exchange
    /// (`slowAt` steps `slow` ms instead) and 1 ms in it.
    static func rank(_ rank: Int, steps: Int, work: Double, slow: Double? = nil, slowAt: Set<Int> = []) -> RankTimeline {
        var spans: [TimelineSpan] = []
        var t = 0
        func span(_ name: String, _ step: Int, _ begin: Int, _ ns: Int) -> TimelineSpan {
            TimelineSpan(name: name, step: step, inStep: true, beginNanoseconds: begin, durationNanoseconds: ns,
                         microStep: nil, layer: nil, bytes: nil, wireBytes: nil, failed: false)
        }
        for step in 1...steps {
            let workNs = Int(((slowAt.contains(step) ? slow : nil) ?? work) * 1e6)
            spans.append(span("forward", step, t, workNs))
            spans.append(span("reduce_scatter", step, t + workNs, 1_000_000))
            spans.append(span("exchange", step, t + workNs, 1_000_000))
            spans.append(span("step", step, t, workNs + 1_000_000))
            t += workNs + 1_000_000
        }
        let header = TimelineHeader(rank: rank, ranks: 2, host: "h\(rank)", pid: 1, wallZeroMicroseconds: 1_000, firstStep: 0,
                                    averaging: "sharded", fp16Gradients: false, layers: [])
        return RankTimeline(rank: rank, sessions: [TimelineSession(header: header, spans: spans)], unreadableLines: 0)
    }

    @Test("medians per rank; a rank slower in every step by 1.5× is the straggler")
    func namesTheSlowRank() throws {
        let summary = TimelineSummary([Self.rank(0, steps: 20, work: 4), Self.rank(1, steps: 20, work: 6)])
        #expect(summary.steps == 20)
        #expect(summary.ranks.map(\.compute) == [4, 6] && summary.ranks.map(\.communication) == [1, 1])
        #expect(summary.ranks.map(\.busy) == [4, 6], "the work between one exchange's end and the next one's start")
        let straggler = try #require(summary.straggler)
        #expect(straggler.rank == 1 && straggler.host == "h1" && straggler.slowestFraction == 1)
        #expect(summary.text.contains("rank 1 on h1 is a straggler"))
    }

    @Test("no straggler: slower by less than 1.25×, slowest in under 75% of steps, too few steps, one rank")
    func thresholds() {
        #expect(TimelineSummary([Self.rank(0, steps: 20, work: 4), Self.rank(1, steps: 20, work: 4.8)]).straggler == nil)
        #expect(TimelineSummary([Self.rank(0, steps: 20, work: 4), Self.rank(1, steps: 20, work: 5.2)]).straggler?.rank == 1)
        // Rank 1 much slower, but only in 13 of the 19 steps compared (step 1 has no exchange before it).
        let some = Set(2...14)
        #expect(TimelineSummary([Self.rank(0, steps: 20, work: 4), Self.rank(1, steps: 20, work: 4, slow: 9, slowAt: some)]).straggler == nil)
        #expect(TimelineSummary([Self.rank(0, steps: 20, work: 4), Self.rank(1, steps: 20, work: 9, slow: 9, slowAt: some)]).straggler?.rank == 1)
        #expect(TimelineSummary([Self.rank(0, steps: 8, work: 4), Self.rank(1, steps: 8, work: 9)]).straggler == nil)
        #expect(TimelineSummary([Self.rank(0, steps: 20, work: 4)]).straggler == nil)
    }

    @Test("rank files: headers open sessions, spans parse, torn and foreign lines are counted, not fatal")
    func parsing() throws {
        let header = try TimelineHeader(rank: 0, ranks: 1, host: "h", pid: 7, wallZeroMicroseconds: 5, firstStep: 0,
                                        averaging: "one_call", fp16Gradients: true, layers: ["fc1"]).line()
        var text = #"{"span":"forward","step":1,"begin_ns":1,"dur_ns":2,"micro":0}"# + "\n"   // before any header
        text += String(decoding: header, as: UTF8.self)
        text += #"{"span":"backward_layer","step":1,"begin_ns":3,"dur_ns":4,"layer":0}"# + "\n"
        text += #"{"span":"evaluation","after_step":1,"begin_ns":9,"dur_ns":1}"# + "\n"
        text += #"{"span":"forward","step":-1,"begin_ns":3,"dur_ns":4}"# + "\n"
        text += #"{"span":"forward","step":2,"begin_"#
        let parsed = TimelineFiles.parse(Data(text.utf8), rank: 0)
        #expect(parsed.sessions.count == 1 && parsed.unreadableLines == 3)
        let spans = try #require(parsed.sessions.first?.spans)
        #expect(spans.count == 2 && spans[0].layer == 0 && spans[0].inStep && !spans[1].inStep && spans[1].step == 1)
        #expect(parsed.sessions.first?.header.fp16Gradients == true)
    }

    @Test("trace times: microseconds with three decimals, exact to the nanosecond")
    func microseconds() {
        #expect(ChromeTrace.micro(0) == "0.000" && ChromeTrace.micro(1) == "0.001" && ChromeTrace.micro(1_234_567) == "1234.567")
        #expect(ChromeTrace.micro(-1_500) == "-1.500")
        #expect(ChromeTrace.quoted("a\"b\\c/d") == #""a\"b\\c/d""#)
    }
}
