// TimelineMerge: what `ringtrain timeline` and a finished run with `job.timeline` do — read the
// rank files, summarise them, and write the merged Chrome trace atomically into the run folder.
import Foundation

/// The merge of one run folder's timeline.
public enum TimelineMerge {
    /// Reads `runDirectory`'s rank files and writes the trace to `output` (default
    /// `runDirectory`/timeline.json). Returns the summary and the trace's path.
    /// - Throws: `ConfigError` when no timeline was recorded or a file cannot be read or written.
    public static func run(runDirectory: String, output: String? = nil) throws -> (summary: TimelineSummary, path: String) {
        let timelines = try TimelineFiles.read(runDirectory: runDirectory)
        let summary = TimelineSummary(timelines)
        let path = output ?? runDirectory + "/" + ChromeTrace.fileName
        do {
            try AtomicFile.write(ChromeTrace.text(timelines, summary: summary), to: path)
        } catch {
            throw ConfigError(file: path, keyPath: "", message: "cannot write the merged timeline: \(error)")
        }
        return (summary, path)
    }
}
