// BLASThreads: how many threads OpenBLAS uses. Each rank runs single-threaded BLAS unless
// OPENBLAS_NUM_THREADS says otherwise (ranks, not BLAS threads, share out the cores).
import CBLAS
import Foundation

/// Control of OpenBLAS's thread pool.
public enum BLASThreads {
    /// Sets OpenBLAS to `count` threads.
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(count)) }

    /// Current OpenBLAS thread count.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Applies the project default: OPENBLAS_NUM_THREADS when set, otherwise 1.
    /// (OpenBLAS reads the variable when it loads, so setting it later has no effect.)
    public static func applyDefault() {
        if let text = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"], let n = Int(text), n > 0 {
            set(n)
        } else {
            set(1)
        }
    }
}
