// BenchCounts: the ranges of the bench commands' counts (--steps, --repeats, --ranks, ...), checked
// before anything starts, so a huge value gets an error instead of an overflow or an endless run.
import ArgumentParser
import Coordinator

enum BenchCounts {
    /// Largest --steps per timed repetition.
    static let steps = 1_000_000
    /// Largest --repeats.
    static let repeats = 1_000
    /// Largest --reps of `bench allreduce` (each a single all-reduce).
    static let reps = 1_000_000
    /// Largest --ranks (and ranks per host), as `train` allows.
    static let ranks = JobParser.ranksRange.upperBound

    /// Throws for the first given value outside 1...its limit, naming the option and the range.
    static func check(_ counts: [(name: String, value: Int?, limit: Int)]) throws {
        try check(counts.map { ($0.name, $0.value, 1...$0.limit) })
    }

    /// Throws for the first given value outside its range, naming the option and the range.
    static func check(_ counts: [(name: String, value: Int?, range: ClosedRange<Int>)]) throws {
        for (name, value, range) in counts {
            guard let value, !range.contains(value) else { continue }
            let most = range.upperBound == Int.max ? "" : " and at most \(range.upperBound)"
            throw ValidationError("\(name) must be at least \(range.lowerBound)\(most), not \(value)")
        }
    }
}
