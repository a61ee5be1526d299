// ReportCommand: `ringtrain report RUN_DIR` — a sweep's results as a table, CSV, JSON or a
// self-contained HTML page, and the run folder's report.html, results.csv, results.json refreshed.
import ArgumentParser
import Coordinator
import Foundation
import Model
import Logging
import Worker

/// Output formats of `ringtrain report`.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json, html
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise a sweep: ranked trials, the best config, parameter effects and plots.",
        discussion: """
            Reads RUN_DIR/sweep.yaml (cluster.yaml in older sweeps) and RUN_DIR/sweep.sqlite (works while the sweep runs). Every \
            run also rewrites RUN_DIR/report.html, RUN_DIR/results.csv and RUN_DIR/results.json \
            unless --no-save is given. --format html prints the page's path instead of the page.
            Example: ringtrain report runs/mnist-sweep --format json
            """)

    @Argument(help: "The sweep's run folder (holding sweep.yaml and sweep.sqlite).")
    var runDirectory: String

    @Option(help: "Output format: table (default), csv, json or html.")
    var format: ReportFormat = .table

    @Option(help: "Write the chosen format to this file instead of standard output (html: instead of RUN_DIR/report.html, or of standard output with --no-save).")
    var output: String?

    @Flag(help: "Do not refresh report.html, results.csv and results.json in the run folder.")
    var noSave = false

    func run() throws {
        try exitOnUserError {
            let results = try SweepResults.load(runDirectory: runDirectory)
            let effects = ParameterEffects.compute(results)
            // While the sweep runs, the page keeps reloading (its coordinator rewrites it as trials end).
            let live = FolderLock.holder(of: runDirectory) != nil
            if !noSave {
                for problem in ReportFiles.write(results, effects: effects, live: live) {
                    Log.logger.warning("\(problem)")
                }
            }
            let text: String
            switch format {
            case .table: text = ReportTable.render(results, effects: effects)
            case .csv: text = ReportCSV.render(results)
            case .json: text = ReportJSON.render(results, effects: effects)
            case .html: text = ReportHTML.render(results, effects: effects, live: live && output == nil && !noSave)
            }
            if let output {
                try save(text, to: output)
                if format == .html && !UserOutput.isStandardOutput(output) { print(output) }
            } else if format == .html && !noSave {
                print(runDirectory + "/" + ReportFiles.html)   // refreshed above
            } else {   // with --no-save an html page goes to standard output too, leaving report.html alone
                FileHandle.standardOutput.writeText(text)
            }
        }
    }

    private func save(_ text: String, to path: String) throws {
        do {
            try UserOutput.write(text, to: path)
        } catch {
            throw ConfigError(file: path, keyPath: "", message: "cannot write the report: \(error.fileErrorText)",
                              hint: "choose another --output")
        }
    }
}
