// TimelineMerge: what `ringtrain timeline` and a finished run with `job.timeline` do — read the
// rank files twice (their session headers for the common clock origin, then every span), writing
// the Chrome trace and gathering the summary as they go.
import Foundation
import Worker

/// The merge of one run folder's timeline.
public enum TimelineMerge {
    /// Reads `runDirectory`'s rank files and writes the trace to `output` (default
    /// `runDirectory`/timeline.json), replacing it whole. Returns the summary and the trace's path.
    /// - Throws: `ConfigError` when no timeline was recorded or a file cannot be read or written.
    public static func run(runDirectory: String, output: String? = nil) throws -> (summary: TimelineSummary, path: String) {
        let files = try TimelineFiles.rankFiles(runDirectory: runDirectory)
        var headers: [Int: [TimelineHeader]] = [:]
        for file in files {
            try TimelineFiles.forEachLine(file.path, headersOnly: true) { line in
                if case .header(let header) = line { headers[file.rank, default: []].append(header) }
            }
        }
        let path = output ?? runDirectory + "/" + ChromeTrace.fileName
        let origin = headers.values.flatMap { $0 }.map(\.wallZeroMicroseconds).min() ?? 0
        let trace = try ChromeTrace(path: path, origin: origin, userNamed: output != nil)
        do {
            var accumulators: [TimelineSummary.RankAccumulator] = []
            var unreadable = 0
            for file in files {
                try trace.beginRank(file.rank, host: headers[file.rank]?.last?.host ?? "?")
                var accumulator = TimelineSummary.RankAccumulator(rank: file.rank)
                var inSession = false
                try TimelineFiles.forEachLine(file.path) { line in
                    switch line {
                    case .header(let header):
                        accumulator.begin(header)
                        try trace.beginSession(header)
                        inSession = true
                    case .span(let span) where inSession:
                        accumulator.add(span)
                        try trace.add(span)
                    case .span, .unreadable:
                        unreadable += 1
                    }
                }
                accumulators.append(accumulator)
            }
            let summary = TimelineSummary(accumulators, unreadableLines: unreadable)
            try trace.finish(summary)
            return (summary, path)
        } catch {
            trace.abandon()
            throw error
        }
    }
}
