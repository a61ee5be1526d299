// Measurement: the benchmarks' two tools — how long a call takes on the monotonic clock, and the
// median of repetitions, reported instead of the mean so one slow repetition does not move it.
import Foundation

/// Timing one call.
public enum Stopwatch {
    /// Seconds `body` takes (monotonic clock, nanosecond resolution).
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
public func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
