// LinkProbe: measures a link's latency and bandwidth between two MPI ranks the way a ring step
// uses it — both ranks send and receive at once — for the scaling model's inputs.
import Collective
import Foundation

/// The latency and bandwidth between ranks 0 and 1 of a 2-rank job.
public enum LinkProbe {
    /// Median seconds of one simultaneous exchange of `bytes` each way between ranks 0 and 1,
    /// after one warm-up exchange; both ranks get the slower rank's median.
    static func exchangeSeconds(_ communicator: MPICommunicator, bytes: Int, repetitions: Int) throws -> Double {
        let peer = 1 - communicator.rank
        let outgoing = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
        let incoming = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
        defer { outgoing.deallocate(); incoming.deallocate() }
        outgoing.initializeMemory(as: UInt8.self, repeating: 1)
        var times: [Double] = []
        for round in -1..<repetitions {
            try communicator.barrier()
            let seconds = try Stopwatch.seconds {
                try communicator.sendReceive(UnsafeRawBufferPointer(rebasing: outgoing[0..<bytes]), to: peer, sendTag: 7,
                                             into: UnsafeMutableRawBufferPointer(rebasing: incoming[0..<bytes]), from: peer, receiveTag: 7)
            }
            if round >= 0 { times.append(seconds) }
        }
        var slowest = [median(times)]
        try communicator.mpiAllReduceMax(&slowest)
        return slowest[0]
    }

    /// The link between ranks 0 and 1 (every rank of the 2-rank job calls this), as ping-pong
    /// benchmarks fit it: the latency is a 4-byte exchange; the bandwidth comes from the first of
    /// 1, 2, 4, … MiB (up to 64 MiB) whose exchange takes `minimumSeconds` or more (default 0.05 s),
    /// its time less the latency.
    public static func measure(_ communicator: MPICommunicator, minimumSeconds: Double = 0.05) throws -> LinkCost {
        precondition(communicator.size == 2, "the link probe runs on exactly 2 ranks")
        let latency = try exchangeSeconds(communicator, bytes: 4, repetitions: 200)
        var bytes = 1 << 20
        while true {
            let seconds = try exchangeSeconds(communicator, bytes: bytes, repetitions: 5)
            if seconds >= minimumSeconds || bytes >= 64 << 20 {
                return LinkCost(latency: latency, bandwidth: Double(bytes) / max(seconds - latency, 1e-9))
            }
            bytes *= 2
        }
    }
}
