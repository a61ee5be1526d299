// QuietBarrier: a barrier whose waiting ranks sleep between polls instead of spinning, so a
// long wait (one rank working alone, e.g. a benchmark's single-rank phase) leaves the cores to
// the rank that is working. Gather at rank 0, then release; empty messages.
import Foundation

enum QuietBarrier {
    /// Every rank arrives, then every rank leaves; waits poll every `pollInterval`.
    static func run(_ comm: any Communicator, pollInterval: Duration) throws {
        let n = comm.size
        guard n > 1 else { return }
        let empty = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        if comm.rank == 0 {
            var arrivals = try (1..<n).map { try comm.startReceive(into: empty, from: $0, tag: nil) }
            while !arrivals.isEmpty {
                arrivals = try arrivals.filter { try comm.test($0) == nil }
                if !arrivals.isEmpty { sleep(pollInterval) }
            }
            for peer in 1..<n { try comm.send(UnsafeRawBufferPointer(empty), to: peer, tag: 0) }
        } else {
            let release = try comm.startReceive(into: empty, from: 0, tag: nil)
            try comm.send(UnsafeRawBufferPointer(empty), to: 0, tag: 0)
            while try comm.test(release) == nil { sleep(pollInterval) }
        }
    }

    private static func sleep(_ interval: Duration) {
        let (seconds, attoseconds) = interval.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        nanosleep(&request, nil)
    }
}

extension Collectives {
    /// Blocks until every rank arrives, like `barrier`, but waiting ranks sleep `pollInterval`
    /// between checks instead of busy-polling (at most one interval of extra latency). For waits
    /// that may be long, while other ranks' cores should stay free.
    public func quietBarrier(pollInterval: Duration = .microseconds(200)) throws {
        try QuietBarrier.run(communicator, pollInterval: pollInterval)
    }
}
