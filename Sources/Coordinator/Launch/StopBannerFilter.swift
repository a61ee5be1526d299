// StopBannerFilter: mpirun's standard error passed through line by line, less the two notices
// Open MPI prints when the ranks exit 3 after an orderly stop ("the job has been aborted").
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A line filter over mpirun's standard error. Open MPI frames each notice between lines of
/// dashes; a stop that ends with every rank exiting 3 (interrupted, checkpoint saved) makes it
/// print "Primary job terminated normally, but 1 process returned a non-zero exit code ...
/// aborted" and "mpirun detected that one or more processes exited with non-zero status ...
/// Exit code: 3", which read as a failure. Those two are left out; every other line, notices
/// about other exit codes or signals included, passes unchanged and in order.
struct StopBannerFilter {
    /// Lines of the notice being read (from its opening line of dashes), nil outside one.
    private var notice: [String]?
    /// A "terminated normally, but ... non-zero exit code" notice held until the next one says
    /// which code it was.
    private var held: [String] = []

    /// The lines to print now for `line` (without its newline).
    mutating func feed(_ line: String) -> [String] {
        let isRule = line.count >= 10 && line.allSatisfy { $0 == "-" }
        guard var open = notice else {
            if isRule {
                notice = [line]
                return []
            }
            return flushHeld() + [line]
        }
        open.append(line)
        guard isRule, open.count > 1 else {
            notice = open
            return []
        }
        notice = nil
        let text = open.joined(separator: "\n")
        if text.contains("terminated normally, but") && text.contains("non-zero exit code") {
            let earlier = flushHeld()
            held = open
            return earlier
        }
        if text.contains("exited with non-zero status"), let code = Self.exitCode(in: open), code == Self.interrupted {
            held = []
            return []
        }
        return flushHeld() + open
    }

    /// The lines still held when the stream ends.
    mutating func finish() -> [String] {
        let rest = flushHeld() + (notice ?? [])
        notice = nil
        return rest
    }

    /// The exit status of a rank that stopped in order after saving a checkpoint.
    static let interrupted = 3

    private mutating func flushHeld() -> [String] {
        defer { held = [] }
        return held
    }

    /// The number after "Exit code:" in a notice's lines.
    private static func exitCode(in lines: [String]) -> Int? {
        for line in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("Exit code:") else { continue }
            return Int(trimmed.dropFirst("Exit code:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}

extension StopBannerFilter {
    /// Reads `fd` (the read end of mpirun's standard error) to its end on a background thread and
    /// writes the filtered lines to this process's standard error; then closes `fd`. The returned
    /// semaphore is signalled once everything read has been written. `observe` (default none)
    /// sees every line as read, before filtering.
    static func relay(from fd: Int32, observe: (@Sendable (String) -> Void)? = nil) -> DispatchSemaphore {
        var filter = StopBannerFilter()
        return LineRelay.start(from: fd, to: STDERR_FILENO,
                               feed: { line in observe?(line); return filter.feed(line) },
                               finish: { filter.finish() })
    }
}
