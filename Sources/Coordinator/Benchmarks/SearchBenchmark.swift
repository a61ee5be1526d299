// SearchBenchmark: simple regret of Bayesian search against random search on Branin, sequential
// and with parallel pending trials — what `ringtrain bench search` prints.
import Foundation
import Model

/// One benchmark row: a method at a parallelism, over several seeds.
public struct SearchBenchmarkResult: Sendable {
    public var problem: String
    public var method: String
    public var parallel: Int
    public var evaluations: Int
    public var seeds: Int
    /// Median and worst over seeds of (best value found − global minimum).
    public var medianRegret: Double
    public var maxRegret: Double
    /// Median wall time of one `suggest` call, in milliseconds.
    public var suggestMilliseconds: Double
    /// Median time of one suggestion given 50 finished observations (Bayesian rows only).
    public var suggestMillisecondsAt50: Double?

    public var json: [String: Any] {
        var o: [String: Any] = ["problem": problem, "method": method, "parallel": parallel, "evals": evaluations,
                                "seeds": seeds, "median_regret": medianRegret, "max_regret": maxRegret,
                                "suggest_ms": suggestMilliseconds]
        if let suggestMillisecondsAt50 { o["suggest_ms_at_50"] = suggestMillisecondsAt50 }
        return o
    }
}

/// Drives a strategy through `suggest(count:history:)` exactly as the sweep runner will, with the
/// objective evaluated in-process (a Swift function instead of a launched program).
public enum SearchBenchmark {
    /// Branin–Hoo on [−5, 10] × [0, 15]; global minimum 0.397887.
    public static func branin(_ x1: Double, _ x2: Double) -> Double {
        let b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi, t = 1 / (8 * Double.pi)
        let u = x2 - b * x1 * x1 + c * x1 - 6
        return u * u + 10 * (1 - t) * cos(x1) + 10
    }
    public static let braninMinimum = 0.397887
    public static let braninSpace = SearchSpace(parameters: [
        SweepParameter(name: "x1", distribution: .uniform(min: -5, max: 10)),
        SweepParameter(name: "x2", distribution: .uniform(min: 0, max: 15)),
    ])

    static func objective(_ c: Configuration) -> Double { branin(c["x1"]!.number!, c["x2"]!.number!) }

    /// Runs `evaluations` trials with up to `parallel` pending at once: the oldest pending trial
    /// completes, then the strategy refills the free slots. Returns the best value and the
    /// duration of every suggest call.
    public static func run<S: SearchStrategy>(_ strategy: inout S, evaluations: Int, parallel: Int) throws
        -> (best: Double, suggestSeconds: [Double]) {
        var history: [TrialObservation] = []
        var pendingOrder: [Int] = []
        var times: [Double] = []
        var completed = 0
        while completed < evaluations {
            let free = min(parallel - pendingOrder.count, evaluations - history.count)
            if free > 0 {
                var configurations: [Configuration] = []
                times.append(try Stopwatch.seconds { configurations = try strategy.suggest(count: free, history: history) })
                for c in configurations {
                    pendingOrder.append(history.count)
                    history.append(TrialObservation(id: history.count, configuration: c, status: .running))
                }
            }
            let done = pendingOrder.removeFirst()
            history[done].metric = objective(history[done].configuration)
            history[done].status = .finished
            completed += 1
        }
        return (history.compactMap(\.metric).min() ?? .infinity, times)
    }

    /// Median time of one Bayesian suggestion after `observations` random finished trials.
    public static func suggestTimeAt(observations: Int, seed: UInt64, repeats: Int = 5) throws -> Double {
        var rng = CounterRNG(seed: seed, stream: .search, 0xBE4C)
        var history: [TrialObservation] = []
        for i in 0..<observations {
            let c: Configuration = ["x1": .double(-5 + 15 * rng.nextDouble()), "x2": .double(15 * rng.nextDouble())]
            history.append(TrialObservation(id: i, configuration: c, status: .finished, metric: objective(c)))
        }
        var times: [Double] = []
        for r in 0..<repeats {
            var strategy = BayesianSearch(space: braninSpace, goal: .minimize, seed: seed + UInt64(r))
            times.append(try Stopwatch.seconds { _ = try strategy.suggest(count: 1, history: history) })
        }
        return median(times)
    }

    /// Bayesian search at parallel 1 and 4, and uniform random search, on Branin.
    public static func measure(evaluations: Int = 30, seeds: Int = 10, parallels: [Int] = [1, 4]) throws -> [SearchBenchmarkResult] {
        var rows: [SearchBenchmarkResult] = []
        let at50 = try suggestTimeAt(observations: 50, seed: 1)
        for parallel in parallels {
            var regrets: [Double] = [], times: [Double] = []
            for seed in 0..<seeds {
                var strategy = BayesianSearch(space: braninSpace, goal: .minimize, seed: UInt64(seed))
                let (best, t) = try run(&strategy, evaluations: evaluations, parallel: parallel)
                regrets.append(best - braninMinimum)
                times += t
            }
            rows.append(SearchBenchmarkResult(problem: "branin", method: "bayes", parallel: parallel, evaluations: evaluations,
                                              seeds: seeds, medianRegret: median(regrets), maxRegret: regrets.max() ?? .nan,
                                              suggestMilliseconds: median(times) * 1000, suggestMillisecondsAt50: at50 * 1000))
        }
        var regrets: [Double] = [], times: [Double] = []
        for seed in 0..<seeds {
            var strategy = UniformSampler(space: braninSpace, seed: UInt64(seed))
            let (best, t) = try run(&strategy, evaluations: evaluations, parallel: 1)
            regrets.append(best - braninMinimum)
            times += t
        }
        rows.append(SearchBenchmarkResult(problem: "branin", method: "random", parallel: 1, evaluations: evaluations,
                                          seeds: seeds, medianRegret: median(regrets), maxRegret: regrets.max() ?? .nan,
                                          suggestMilliseconds: median(times) * 1000))
        return rows
    }
}

/// The benchmark's random-search baseline: seeded uniform points of the unit cube, decoded.
/// (A stand-in for the sweep's RandomSearch strategy, which lives elsewhere.)
struct UniformSampler: SearchStrategy {
    let mapping: UnitCubeMapping
    let seed: UInt64
    init(space: SearchSpace, seed: UInt64) { (mapping, self.seed) = (UnitCubeMapping(space: space), seed) }

    mutating func suggest(count: Int, history: [TrialObservation]) throws -> [Configuration] {
        var rng = CounterRNG(seed: seed, stream: .search, UInt64(history.count), 0x52414E44)
        return (0..<count).map { _ in mapping.decode((0..<mapping.dimension).map { _ in rng.nextDouble() }) }
    }
}
