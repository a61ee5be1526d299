// ChromeTrace: merges the ranks' timelines into one Trace Event Format file (timeline.json) that
// Perfetto and chrome://tracing open — one process per rank, complete events for spans, a
// counter of the bytes each rank has sent, and metadata naming processes and threads.
import Foundation

/// Builds the trace text. Times are microseconds from the earliest session's zero (the JSON
/// `otherData.origin_wall_us` gives that moment as rank 0's wall clock), written exactly to the
/// nanosecond, so spans nest in the file as they did on the clock.
public enum ChromeTrace {
    /// The merged file's name in the run folder.
    public static let fileName = "timeline.json"

    /// The trace of `ranks`, with `summary` (its straggler, if any) in `otherData`.
    public static func text(_ ranks: [RankTimeline], summary: TimelineSummary) -> String {
        let origin = ranks.flatMap(\.sessions).map(\.header.wallZeroMicroseconds).min() ?? 0
        var events: [String] = []
        for rank in ranks {
            let host = rank.sessions.first?.header.host ?? "?"
            events.append(#"{"ph":"M","name":"process_name","pid":\#(rank.rank),"tid":0,"args":{"name":\#(quoted("rank \(rank.rank) (\(host))"))}}"#)
            events.append(#"{"ph":"M","name":"process_sort_index","pid":\#(rank.rank),"tid":0,"args":{"sort_index":\#(rank.rank)}}"#)
            events.append(#"{"ph":"M","name":"thread_name","pid":\#(rank.rank),"tid":0,"args":{"name":"training"}}"#)
            var sentBytes = 0
            for session in rank.sessions {
                let offset = (session.header.wallZeroMicroseconds - origin) * 1000   // nanoseconds
                events.append(#"{"ph":"i","s":"p","name":"session start","cat":"session","pid":\#(rank.rank),"tid":0,"ts":\#(micro(offset)),"args":{"steps_done":\#(session.header.firstStep),"ranks":\#(session.header.ranks),"host":\#(quoted(session.header.host)),"pid":\#(session.header.pid)}}"#)
                for span in session.spans {
                    events.append(event(span, pid: rank.rank, offset: offset, layers: session.header.layers))
                    if let wire = span.wireBytes {
                        sentBytes += wire
                        events.append(#"{"ph":"C","name":"bytes sent","pid":\#(rank.rank),"tid":0,"ts":\#(micro(offset + span.endNanoseconds)),"args":{"MB":\#(String(format: "%.6f", Double(sentBytes) / 1e6))}}"#)
                    }
                }
            }
        }
        return "{\"traceEvents\":[\n" + events.joined(separator: ",\n") + "\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":"
            + otherData(origin: origin, summary: summary) + "}\n"
    }

    /// One complete (`X`) event.
    static func event(_ span: TimelineSpan, pid: Int, offset: Int, layers: [String]) -> String {
        var name = span.name, args = [span.inStep ? "\"step\":\(span.step)" : "\"after_step\":\(span.step)"]
        if let micro = span.microStep { args.append("\"micro\":\(micro)") }
        if let layer = span.layer {
            let layerName = layers.indices.contains(layer) ? layers[layer] : "layer \(layer)"
            name = "backward " + layerName
            args.append("\"layer\":\(quoted(layerName))")
        }
        if let bytes = span.bytes { args.append("\"bytes\":\(bytes)") }
        if let wire = span.wireBytes { args.append("\"wire_bytes\":\(wire)") }
        if span.failed { args.append("\"failed\":true") }
        return #"{"ph":"X","name":\#(quoted(name)),"cat":"\#(category(span.name))","pid":\#(pid),"tid":0,"ts":\#(micro(offset + span.beginNanoseconds)),"dur":\#(micro(span.durationNanoseconds)),"args":{\#(args.joined(separator: ","))}}"#
    }

    /// What kind of work a span is, for the viewer's filters.
    static func category(_ name: String) -> String {
        switch name {
        case "gather", "forward", "backward", "backward_layer": "compute"
        case "all_reduce", "reduce_scatter", "all_gather", "barrier": "communication"
        case "clip", "update": "update"
        case "checkpoint", "checkpoint_write": "checkpoint"
        default: name
        }
    }

    /// Nanoseconds as microseconds with three decimals, exactly.
    static func micro(_ nanoseconds: Int) -> String {
        let sign = nanoseconds < 0 ? "-" : ""
        let magnitude = nanoseconds.magnitude
        let fraction = String(magnitude % 1000)
        return sign + String(magnitude / 1000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    private static func otherData(origin: Int, summary: TimelineSummary) -> String {
        var fields = ["\"origin_wall_us\":\(origin)", "\"ranks\":\(summary.ranks.count)", "\"steps\":\(summary.steps)"]
        if let straggler = summary.straggler { fields.append("\"straggler\":\(quoted(straggler.sentence))") }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
