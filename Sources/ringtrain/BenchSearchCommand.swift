// BenchSearchCommand: `ringtrain bench search` — simple regret of Bayesian and random search on
// Branin, Hartmann 3, Levy 4 and Hartmann 6 over several seeds, sequential and with parallel
// pending trials, and suggestion time.
import ArgumentParser
import Coordinator
import Foundation
import Worker

struct BenchSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Simple regret of method: bayes against random search on test functions of 2 to 6 dimensions.",
        discussion: """
        Problems: branin (2-D), hartmann3, levy4, hartmann6, as scripts/bench-bayes-vs-skopt defines
        them; 10 × d evaluations each unless --evals says otherwise; seeds 1 … --seeds.
        By default every evaluation is a trial of a real sweep (sweep runner, sweep.sqlite, a launched
        `ringtrain objective <problem>` program objective); --objective in-process evaluates a Swift
        function instead, driving each strategy through suggest(count:history:) as the runner does, with `parallel` trials pending at once
        (the oldest completes, then free slots are refilled). Regret = best found − global minimum;
        log10_regret is the median over seeds of log10 regret (regrets below 1e-12 count as 1e-12).
        suggest_ms is the median time of one suggest call; suggest_ms_at_50 the median time of one
        Bayesian suggestion given 50 finished observations of the problem. In-process, --json rows
        also hold median_log10_regret_by_evals: that median after each evaluation 1 … evals (trials
        complete in the order they start, so entry n is what a run of n evaluations finds).
        """)

    @Option(help: "Comma-separated problems: branin, hartmann3, levy4, hartmann6 (default all).")
    var problems: String = SearchProblem.all.map(\.name).joined(separator: ",")

    @Option(parsing: .unconditional, help: "Evaluations per run (default 10 × the problem's dimension).")
    var evals: Int?

    @Option(parsing: .unconditional, help: "Seeds (runs) per method; medians and worst cases are over these.")
    var seeds: Int = 10

    @Option(parsing: .unconditional, help: "Comma-separated numbers of parallel pending trials for the Bayesian rows.")
    var parallel: String = "1,4"

    @Option(help: "program: every evaluation is a trial of a real sweep running `ringtrain objective <problem>` (default); in-process: a Swift function.")
    var objective: String = "program"

    @Flag(help: "One JSON object per row.")
    var json = false

    func validate() throws {
        guard ["program", "in-process"].contains(objective) else { throw ValidationError("--objective is program or in-process") }
        guard (evals ?? 1) >= 1, seeds >= 1 else { throw ValidationError("--evals and --seeds must be at least 1") }
        guard parsedParallel().allSatisfy({ $0 >= 1 }), !parsedParallel().isEmpty else {
            throw ValidationError("--parallel must be positive integers, e.g. 1,4")
        }
        guard parsedProblems() != nil else {
            throw ValidationError("--problems takes names from: " + SearchProblem.all.map(\.name).joined(separator: ", "))
        }
    }

    func parsedParallel() -> [Int] {
        parallel.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) ?? 0 }
    }

    func parsedProblems() -> [SearchProblem]? {
        let found = problems.split(separator: ",").map { SearchProblem.named($0.trimmingCharacters(in: .whitespaces)) }
        return found.isEmpty || found.contains { $0 == nil } ? nil : found.compactMap { $0 }
    }

    func run() throws {
        try exitOnUserError {
            let directory = NSTemporaryDirectory() + "ringtrain-bench-search-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let chosen = parsedProblems()!
            let rows = objective == "program"
                ? try SearchBenchmark.measureThroughSweeps(problems: chosen, evaluations: evals, seeds: seeds,
                                                           parallels: parsedParallel(), directory: directory)
                : try SearchBenchmark.measure(problems: chosen, evaluations: evals, seeds: seeds, parallels: parsedParallel())
            if json {
                let machine = Machine.current.json
                for row in rows { Swift.print(jsonLine(row.json.merging(["machine": machine]) { a, _ in a })) }
                return
            }
            Swift.print(Machine.current.line)
            Swift.print(objective == "program"
                ? "Through real sweeps: every evaluation a trial running `ringtrain objective <problem>` (suggest times measured in-process)"
                : "Objective in-process (a Swift function, not a launched program)")
            var table = TextTable(headers: ["problem", "d", "method", "parallel", "evals", "seeds", "log10_regret",
                                            "median_regret", "max_regret", "suggest_ms", "suggest_ms_at_50"])
            for r in rows {
                table.add([r.problem, "\(r.dimension)", r.method, "\(r.parallel)", "\(r.evaluations)", "\(r.seeds)",
                           String(format: "%.2f", r.medianLog10Regret),
                           String(format: "%.4g", r.medianRegret), String(format: "%.4g", r.maxRegret),
                           String(format: "%.3f", r.suggestMilliseconds),
                           r.suggestMillisecondsAt50.map { String(format: "%.2f", $0) } ?? ""])
            }
            Swift.print(table.rendered)
        }
    }
}
