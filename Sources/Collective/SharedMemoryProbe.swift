// SharedMemoryProbe: what the steps within a host cost through memory the host's ranks share,
// as the link `AllReduceCost` charges them to — timed on the block before anything lives in it.
import Foundation

/// Times the two-level scheme's steps within a host through `HostSharedMemory`.
enum SharedMemoryProbe {
    /// Times a reduce-scatter and an all-gather through `memory`'s buffer 0 (which must hold
    /// nothing yet; it is zeroed again after) at two sizes, median of `repetitions` each, and
    /// fits the link whose steps within a host the model prices the same: for k ranks and n bytes,
    /// T(n) = 2(k−1)·latency + 2(k−1)/k · n / bandwidth. Collective over the host's ranks. nil
    /// for buffers of fewer than 2 elements.
    static func measure(_ memory: HostSharedMemory, repetitions: Int = 5) throws -> LinkCost? {
        precondition(repetitions > 0)
        guard memory.elements >= 2, memory.ranks > 1 else { return nil }
        let probe = SharedMemoryAllReduce(memory: memory)
        let scratch = memory.buffer(0, rank: memory.rank)
        defer { scratch.update(repeating: 0, count: memory.elements) }
        // Up to 64 MB a rank: a large gradient's steps run from memory, not from cache.
        let large = min(memory.elements, 1 << 24), small = max(1, large / 16)
        func seconds(_ count: Int) throws -> Double {
            let buffer = UnsafeMutableBufferPointer(start: scratch, count: count)
            var times: [Double] = []
            for round in 0...repetitions {   // the first warms up
                let start = DispatchTime.now().uptimeNanoseconds
                try probe.run(buffer, at: (0, 0), op: .sum, halfWire: false, phases: .reduceScatter)
                try probe.run(buffer, at: (0, 0), op: .sum, halfWire: false, phases: .allGather)
                if round > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
            }
            return times.sorted()[times.count / 2]
        }
        let (t1, t2) = (try seconds(small), try seconds(large))
        let k = Double(memory.ranks), steps = 2 * (k - 1)
        let (b1, b2) = (Double(4 * small), Double(4 * large))
        var perByte = (t2 - t1) / (b2 - b1)                 // seconds per byte of the buffer
        if !(perByte > 0) { perByte = t2 / b2 }             // noise: the large size alone
        let latency = max(0, (t1 - perByte * b1) / steps)
        return LinkCost(latency: latency, bandwidth: steps / k / perByte)
    }
}
