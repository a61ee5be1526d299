// WireBytes: how many bytes one rank sends for a collective over a payload, as the algorithms
// that `Collectives` picks send them — for timelines and the scaling arithmetic, not measured.

extension Collectives {
    /// Bytes this rank sends to all-reduce a buffer of `payloadBytes` fp32: the one-round exchange
    /// sends the buffer to every other rank; the ring sends 2(N−1)/N of it, halved with fp16.
    public func wireBytes(allReduce payloadBytes: Int, halfPrecision: Bool) -> Int {
        guard size > 1 else { return 0 }
        if payloadBytes <= options.smallMessageBytes { return (size - 1) * payloadBytes }
        return 2 * ringBytes(payloadBytes, halfPrecision: halfPrecision)
    }

    /// Bytes this rank sends in a ring reduce-scatter of `payloadBytes`: (N−1)/N of it, halved with fp16.
    public func wireBytes(reduceScatter payloadBytes: Int, halfPrecision: Bool) -> Int {
        size > 1 ? ringBytes(payloadBytes, halfPrecision: halfPrecision) : 0
    }

    /// Bytes this rank sends in a ring all-gather of `payloadBytes` (always fp32): (N−1)/N of it.
    public func wireBytes(allGather payloadBytes: Int) -> Int {
        size > 1 ? ringBytes(payloadBytes, halfPrecision: false) : 0
    }

    /// One pass of the ring: N−1 of the N segments.
    private func ringBytes(_ payloadBytes: Int, halfPrecision: Bool) -> Int {
        let bytes = payloadBytes * (size - 1) / size
        return halfPrecision ? bytes / 2 : bytes
    }
}
