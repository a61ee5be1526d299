// BenchSearchCommand: `ringtrain bench search` — simple regret of Bayesian and random search on
// Branin over several seeds, sequential and with parallel pending trials, and suggestion time.
import ArgumentParser
import Coordinator
import Foundation
import Worker

struct BenchSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Simple regret of method: bayes against random search on Branin (2-D).",
        discussion: """
        The objective is evaluated in-process by a Swift function; each strategy is driven through
        suggest(count:history:) as the sweep runner drives it, with `parallel` trials pending at once
        (the oldest completes, then free slots are refilled). Regret = best found − 0.397887.
        suggest_ms is the median time of one suggest call; suggest_ms_at_50 the median time of one
        Bayesian suggestion given 50 finished observations.
        """)

    @Option(help: "Evaluations per run.")
    var evals: Int = 30

    @Option(help: "Seeds (runs) per method; medians and worst cases are over these.")
    var seeds: Int = 10

    @Option(help: "Comma-separated numbers of parallel pending trials for the Bayesian rows.")
    var parallel: String = "1,4"

    @Flag(help: "One JSON object per row.")
    var json = false

    func validate() throws {
        guard evals >= 1, seeds >= 1 else { throw ValidationError("--evals and --seeds must be at least 1") }
        guard parsedParallel().allSatisfy({ $0 >= 1 }), !parsedParallel().isEmpty else {
            throw ValidationError("--parallel must be positive integers, e.g. 1,4")
        }
    }

    func parsedParallel() -> [Int] {
        parallel.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) ?? 0 }
    }

    func run() throws {
        try exitOnUserError {
            let rows = try SearchBenchmark.measure(evaluations: evals, seeds: seeds, parallels: parsedParallel())
            if json {
                for row in rows { Swift.print(jsonLine(row.json)) }
                return
            }
            Swift.print("Branin, objective in-process (a Swift function, not a launched program)")
            var table = TextTable(headers: ["problem", "method", "parallel", "evals", "seeds", "median_regret",
                                            "max_regret", "suggest_ms", "suggest_ms_at_50"])
            for r in rows {
                table.add([r.problem, r.method, "\(r.parallel)", "\(r.evaluations)", "\(r.seeds)",
                           String(format: "%.4g", r.medianRegret), String(format: "%.4g", r.maxRegret),
                           String(format: "%.3f", r.suggestMilliseconds),
                           r.suggestMillisecondsAt50.map { String(format: "%.2f", $0) } ?? ""])
            }
            Swift.print(table.rendered)
        }
    }
}
