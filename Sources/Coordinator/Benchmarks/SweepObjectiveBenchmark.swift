// SweepObjectiveBenchmark: the search benchmark run end to end — real sweeps whose trials launch
// `ringtrain objective <problem>` as a program objective, through the sweep runner and sweep.sqlite.
import Foundation

extension SearchBenchmark {
    /// Runs one sweep of `method` on `problem` through the program objective in a fresh folder
    /// under `directory`; returns the best value found.
    public static func sweepThroughProgram(method: String, problem: SearchProblem, seed: UInt64, evaluations: Int,
                                           parallel: Int, directory: String) throws -> Double {
        let folder = directory + "/\(problem.name)-\(method)-p\(parallel)-s\(seed)"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let parameters = problem.bounds.enumerated().map { i, b in "    x\(i + 1): {min: \(b.0), max: \(b.1)}" }
        let yaml = """
            sweep:
              method: \(method)
              command: ["\(MPILauncher.selfExecutable)", objective, \(problem.name), "${args}"]
              metric: {name: value, goal: minimize}
              parameters:
            \(parameters.joined(separator: "\n"))
              run_cap: \(evaluations)
              parallel: \(parallel)
              max_retries: 0
              seed: \(seed)
            """
        let path = folder + "/sweep.yaml"
        try AtomicFile.write(yaml, to: path)
        let config = try RunConfig.load(path: path)
        guard let spec = try config.sweepSpec() else { throw LaunchError("benchmark sweep config has no sweep") }
        let runner = try SweepRunner(config: config, spec: spec, runDirectory: folder + "/run")
        runner.quiet = true
        _ = try runner.run()
        let values = try runner.store.trials().compactMap(\.metric)
        guard values.count == evaluations else {
            throw LaunchError("benchmark sweep \(folder) finished only \(values.count) of \(evaluations) trials")
        }
        return values.min()!
    }
}

extension SearchBenchmark {
    /// The benchmark's rows with every evaluation a launched program (real sweeps); the
    /// suggestion times come from the same strategies driven in-process in this command.
    public static func measureThroughSweeps(problems: [SearchProblem] = SearchProblem.all, evaluations: Int? = nil,
                                            seeds: Int = 10, parallels: [Int] = [1, 4],
                                            directory: String) throws -> [SearchBenchmarkResult] {
        let inProcess = try measure(problems: problems, evaluations: evaluations, seeds: seeds, parallels: parallels)
        var rows: [SearchBenchmarkResult] = []
        for row in inProcess {
            let problem = SearchProblem.named(row.problem)!
            var measured = row
            measured.regrets = try (1...UInt64(seeds)).map { seed in
                try sweepThroughProgram(method: row.method, problem: problem, seed: seed, evaluations: row.evaluations,
                                        parallel: row.parallel, directory: directory) - problem.minimum
            }
            rows.append(measured)
        }
        return rows
    }
}
