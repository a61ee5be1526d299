// BenchCounts: the ranges of the bench commands' counts (--steps, --repeats, --ranks, ...), checked
// before anything starts, so a huge value gets an error instead of an overflow or an endless run.
import ArgumentParser

enum BenchCounts {
    /// Largest --steps per timed repetition.
    static let steps = 1_000_000
    /// Largest --repeats.
    static let repeats = 1_000
    /// Largest --reps of `bench allreduce` (each a single all-reduce).
    static let reps = 1_000_000
    /// Largest --ranks (and ranks per host), as `train` allows.
    static let ranks = 65_536

    /// Throws for the first given value outside 1...its limit, naming the option and the range.
    static func check(_ counts: [(name: String, value: Int?, limit: Int)]) throws {
        for (name, value, limit) in counts {
            guard let value, value < 1 || value > limit else { continue }
            throw ValidationError("\(name) must be at least 1\(limit == Int.max ? "" : " and at most \(limit)"), not \(value)")
        }
    }
}
