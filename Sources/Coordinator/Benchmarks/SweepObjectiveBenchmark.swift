// SweepObjectiveBenchmark: the search benchmark run end to end — real sweeps whose trials launch
// `ringtrain objective branin` as a program objective, through the sweep runner and sweep.sqlite.
import Foundation

extension SearchBenchmark {
    /// Runs one sweep of `method` on Branin through the program objective in a fresh folder under
    /// `directory`; returns the best value found.
    public static func sweepThroughProgram(method: String, seed: UInt64, evaluations: Int, parallel: Int,
                                           directory: String) throws -> Double {
        let folder = directory + "/\(method)-p\(parallel)-s\(seed)"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let yaml = """
            sweep:
              method: \(method)
              command: ["\(MPILauncher.selfExecutable)", objective, branin, "${args}"]
              metric: {name: value, goal: minimize}
              parameters:
                x1: {min: -5.0, max: 10.0}
                x2: {min: 0.0, max: 15.0}
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
    public static func measureThroughSweeps(evaluations: Int = 30, seeds: Int = 10, parallels: [Int] = [1, 4],
                                            directory: String) throws -> [SearchBenchmarkResult] {
        let inProcess = try measure(evaluations: evaluations, seeds: seeds, parallels: parallels)
        var rows: [SearchBenchmarkResult] = []
        for row in inProcess {
            var regrets: [Double] = []
            for seed in 0..<seeds {
                let best = try sweepThroughProgram(method: row.method, seed: UInt64(seed), evaluations: evaluations,
                                                   parallel: row.parallel, directory: directory)
                regrets.append(best - braninMinimum)
            }
            var measured = row
            measured.medianRegret = median(regrets)
            measured.maxRegret = regrets.max() ?? .nan
            rows.append(measured)
        }
        return rows
    }
}
