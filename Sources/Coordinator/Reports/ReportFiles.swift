// ReportFiles: keeps a sweep's run folder holding its current report — report.html,
// results.csv and results.json — rewritten whole (temp file + rename) each time a report runs.
import Foundation
import Model

/// The report files of a run folder.
public enum ReportFiles {
    /// File names written into the run folder.
    public static let html = "report.html", csv = "results.csv", json = "results.json"

    /// Writes report.html, results.csv and results.json into `results.runDirectory`, each
    /// replaced atomically; the page reloads itself when `live` (the sweep runs). Returns one
    /// message per file that could not be written (a report of a read-only folder still prints).
    @discardableResult
    public static func write(_ results: SweepResults, effects: [ParameterEffect], live: Bool = false) -> [String] {
        let outputs = [(html, ReportHTML.render(results, effects: effects, live: live)),
                       (csv, ReportCSV.render(results)),
                       (json, ReportJSON.render(results, effects: effects))]
        var problems: [String] = []
        for (name, text) in outputs {
            let path = results.runDirectory + "/" + name
            do { try save(text, to: path) } catch { problems.append("cannot write \(path): \(error.fileErrorText)") }
        }
        return problems
    }

    /// Writes `text` to `path` through a temporary file in the same folder and a rename.
    public static func save(_ text: String, to path: String) throws {
        try AtomicFile.write(text, to: path)
    }
}
