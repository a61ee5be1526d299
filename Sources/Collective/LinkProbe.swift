// LinkProbe: measures a link's latency and bandwidth between two ranks the way a ring step uses
// it — both send and receive at once — for the scaling model and for `cluster.allreduce: auto`.
import Dispatch

/// The latency and bandwidth between this rank and one peer (both call it, nobody else needs to).
public enum LinkProbe {
    /// The pair's median seconds of one simultaneous exchange of `bytes` each way, after one
    /// warm-up exchange; both get the slower side's median. Each exchange starts after a 1-byte
    /// exchange, so both sides start together.
    static func exchangeSeconds(_ communicator: any Communicator, peer: Int, bytes: Int, repetitions: Int) throws -> Double {
        let tag = bytes % (communicator.maxTag + 1)
        let outgoing = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, 8), alignment: 64)
        let incoming = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, 8), alignment: 64)
        defer { outgoing.deallocate(); incoming.deallocate() }
        outgoing.initializeMemory(as: UInt8.self, repeating: 1)
        func exchange(_ count: Int, tag: Int) throws {
            try communicator.sendReceive(UnsafeRawBufferPointer(rebasing: outgoing[0..<count]), to: peer, sendTag: tag,
                                         into: UnsafeMutableRawBufferPointer(rebasing: incoming[0..<count]), from: peer, receiveTag: tag)
        }
        var times: [Double] = []
        for round in -1..<repetitions {
            try exchange(1, tag: 1)
            let start = DispatchTime.now().uptimeNanoseconds
            try exchange(bytes, tag: tag)
            if round >= 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        }
        times.sort()
        var mine = times[times.count / 2], theirs = 0.0
        try withUnsafeBytes(of: &mine) { out in
            try withUnsafeMutableBytes(of: &theirs) { into in
                _ = try communicator.sendReceive(out, to: peer, sendTag: 8, into: into, from: peer, receiveTag: 8)
            }
        }
        return max(mine, theirs)
    }

    /// The link to `peer`, as ping-pong benchmarks fit it: the latency is a 4-byte exchange; the
    /// bandwidth comes from the first of 1, 2, 4, … MiB (up to `maximumBytes`, default 64 MiB)
    /// whose exchange takes `minimumSeconds` or more (default 0.05 s), its time less the latency.
    public static func measure(_ communicator: any Communicator, peer: Int, minimumSeconds: Double = 0.05,
                               maximumBytes: Int = 64 << 20) throws -> LinkCost {
        let latency = try exchangeSeconds(communicator, peer: peer, bytes: 4, repetitions: 200)
        var bytes = 1 << 20
        while true {
            let seconds = try exchangeSeconds(communicator, peer: peer, bytes: bytes, repetitions: 5)
            if seconds >= minimumSeconds || bytes >= maximumBytes {
                return LinkCost(latency: latency, bandwidth: Double(bytes) / max(seconds - latency, 1e-9))
            }
            bytes *= 2
        }
    }
}
