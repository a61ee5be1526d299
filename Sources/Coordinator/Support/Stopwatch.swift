// Stopwatch: how long a piece of work takes on the monotonic clock, for the benchmarks' timing loops.
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
