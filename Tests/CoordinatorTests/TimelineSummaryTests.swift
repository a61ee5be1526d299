// TimelineSummaryTests: the timeline's arithmetic on made-up spans — reading rank files (torn
// lines counted), per-rank medians, the straggler rule at and around its thresholds, and the
// trace's exact microsecond times.
import Foundation
import Testing
@testable import Coordinator
import Model
import Worker

struct TimelineSummaryTests {
    /// A session of `steps` steps of one rank: each step spends `work` ms before its exchange
    /// (`slowAt` steps `slow` ms instead) and 1 ms in it.
    static func rank(_ rank: Int, steps: Int, work: Double, slow: Double? = nil, slowAt: Set<Int> = []) -> TimelineSummary.RankAccumulator {
        var accumulator = TimelineSummary.RankAccumulator(rank: rank)
        accumulator.begin(TimelineHeader(rank: rank, ranks: 2, host: "h\(rank)", pid: 1, wallZeroMicroseconds: 1_000, firstStep: 0,
                                         averaging: "sharded", fp16Gradients: false, layers: []))
        var t = 0
        func span(_ name: String, _ step: Int, _ begin: Int, _ ns: Int) -> TimelineSpan {
            TimelineSpan(name: name, step: step, inStep: true, beginNanoseconds: begin, durationNanoseconds: ns,
                         microStep: nil, layer: nil, bytes: nil, wireBytes: nil, failed: false)
        }
        for step in 1...steps {
            let workNs = Int(((slowAt.contains(step) ? slow : nil) ?? work) * 1e6)
            accumulator.add(span("forward", step, t, workNs))
            accumulator.add(span("reduce_scatter", step, t + workNs, 1_000_000))
            accumulator.add(span("exchange", step, t + workNs, 1_000_000))
            accumulator.add(span("step", step, t, workNs + 1_000_000))
            t += workNs + 1_000_000
        }
        return accumulator
    }

    static func summary(_ ranks: TimelineSummary.RankAccumulator...) -> TimelineSummary { TimelineSummary(ranks, unreadableLines: 0) }

    @Test("medians per rank; a rank slower in every step by 1.5× is the straggler")
    func namesTheSlowRank() throws {
        let summary = Self.summary(Self.rank(0, steps: 20, work: 4), Self.rank(1, steps: 20, work: 6))
        #expect(summary.steps == 20)
        #expect(summary.ranks.map(\.compute) == [4, 6] && summary.ranks.map(\.communication) == [1, 1])
        #expect(summary.ranks.map(\.busy) == [4, 6], "the work between one exchange's end and the next one's start")
        let straggler = try #require(summary.straggler)
        #expect(straggler.rank == 1 && straggler.host == "h1" && straggler.slowestFraction == 1)
        #expect(summary.text.contains("rank 1 on h1 is a straggler"))
    }

    @Test("no straggler: slower by less than 1.25× or 1 ms, slowest in under 75% of steps, too few steps, one rank")
    func thresholds() {
        #expect(Self.summary(Self.rank(0, steps: 20, work: 4), Self.rank(1, steps: 20, work: 4.8)).straggler == nil)
        #expect(Self.summary(Self.rank(0, steps: 20, work: 4), Self.rank(1, steps: 20, work: 5.2)).straggler?.rank == 1)
        // Rank 1 much slower, but only in 13 of the 19 steps compared (step 1 has no exchange before it).
        let some = Set(2...14)
        #expect(Self.summary(Self.rank(0, steps: 20, work: 4), Self.rank(1, steps: 20, work: 4, slow: 9, slowAt: some)).straggler == nil)
        #expect(Self.summary(Self.rank(0, steps: 20, work: 4), Self.rank(1, steps: 20, work: 9, slow: 9, slowAt: some)).straggler?.rank == 1)
        #expect(Self.summary(Self.rank(0, steps: 8, work: 4), Self.rank(1, steps: 8, work: 9)).straggler == nil)
        // 1.5× slower, but by 0.2 ms a step: not worth naming.
        #expect(Self.summary(Self.rank(0, steps: 20, work: 0.4), Self.rank(1, steps: 20, work: 0.6)).straggler == nil)
        #expect(Self.summary(Self.rank(0, steps: 20, work: 4)).straggler == nil)
    }

    @Test("rank files: read a line at a time; headers, spans, and torn or foreign lines told apart")
    func parsing() throws {
        let header = try TimelineHeader(rank: 0, ranks: 1, host: "h", pid: 7, wallZeroMicroseconds: 5, firstStep: 0,
                                        averaging: "one_call", fp16Gradients: true, layers: ["fc1"]).line()
        var text = String(decoding: header, as: UTF8.self)
        text += #"{"span":"backward_layer","step":1,"begin_ns":3,"dur_ns":4,"layer":0}"# + "\n\n"
        text += #"{"span":"evaluation","after_step":1,"begin_ns":9,"dur_ns":1}"# + "\n"
        text += #"{"span":"forward","step":-1,"begin_ns":3,"dur_ns":4}"# + "\n"
        text += #"{"timeline":1}"# + "\n"
        text += #"{"span":"forward","step":2,"begin_"#
        let path = NSTemporaryDirectory() + "timeline-parse-\(getpid()).jsonl"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var lines: [TimelineLine] = []
        try TimelineFiles.forEachLine(path) { lines.append($0) }
        #expect(lines.count == 6)
        guard lines.count == 6, case .header(let read) = lines[0], case .span(let layer) = lines[1], case .span(let evaluation) = lines[2] else { return }
        #expect(read.fp16Gradients && read.layers == ["fc1"])
        #expect(layer.layer == 0 && layer.inStep && !evaluation.inStep && evaluation.step == 1)
        #expect(Array(lines[3...]) == [.unreadable, .unreadable, .unreadable])
        var headers = 0
        try TimelineFiles.forEachLine(path, headersOnly: true) { if case .header = $0 { headers += 1 } }
        #expect(headers == 1)
    }

    @Test("numbers past what a run can record make a line unreadable, so no sum a trace is built from overflows",
          arguments: [#"{"span":"exchange","step":3,"begin_ns":9000000000000000000,"dur_ns":9000000000000000000}"#,
                      #"{"span":"all_reduce","step":3,"begin_ns":1,"dur_ns":1,"wire_bytes":9000000000000000000}"#,
                      #"{"span":"all_reduce","step":3,"begin_ns":1,"dur_ns":1,"bytes":-1}"#,
                      #"{"timeline":1,"rank":0,"ranks":1,"host":"h","pid":1,"wall_zero_us":-9000000000000000000,"first_step":0,"averaging":"one_call","fp16_gradients":false,"layers":[]}"#,
                      #"{"timeline":1,"rank":0,"ranks":1,"host":"h","pid":1,"wall_zero_us":9000000000000000000,"first_step":0,"averaging":"one_call","fp16_gradients":false,"layers":[]}"#])
    func absurdNumbers(line: String) {
        #expect(TimelineFiles.parse(Data(line.utf8)) == .unreadable)
    }

    @Test("trace times: microseconds with three decimals, exact to the nanosecond")
    func microseconds() {
        #expect(ChromeTrace.micro(0) == "0.000" && ChromeTrace.micro(1) == "0.001" && ChromeTrace.micro(1_234_567) == "1234.567")
        #expect(ChromeTrace.micro(-1_500) == "-1.500")
        #expect(jsonStringLiteral("a\"b\\c/d") == #""a\"b\\c/d""#)
    }
}
