// RingTuningOptions: the command-line knobs of the ring all-reduce (chunk size, whole segments,
// receives in flight, the small-message exchange), shared by `bench allreduce` and
// `collective-check`. Unset knobs keep the library defaults.
import ArgumentParser
import Collective

struct RingTuningOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Ring chunk size in elements (default: the library default).")
    var chunkElements: Int?

    @Option(parsing: .unconditional, help: "Ring segments up to this many elements travel whole, unchunked (default: the library default; 0 always chunks).")
    var wholeSegmentElements: Int?

    @Option(parsing: .unconditional, help: "Ring receives in flight (default: the library default).")
    var depth: Int?

    @Option(parsing: .unconditional, help: "Largest all-reduce in bytes that uses the one-round exchange instead of the ring (default: the library default).")
    var smallBytes: Int?

    func validate() throws {
        // Beyond these a value only overflows buffers' arithmetic (the ring allocates depth × chunk).
        let limits: [(String, Int?, ClosedRange<Int>)] = [
            ("--chunk-elements", chunkElements, 1...(1 << 28)), ("--whole-segment-elements", wholeSegmentElements, 0...(1 << 34)),
            ("--depth", depth, 1...64), ("--small-bytes", smallBytes, 0...(1 << 36))]
        for (name, value, range) in limits {
            if let value, !range.contains(value) {
                throw ValidationError("\(name) \(value) is out of range (\(range.lowerBound) to \(range.upperBound))")
            }
        }
    }

    /// `options` with every knob that was given applied.
    func applied(to options: CollectiveOptions) -> CollectiveOptions {
        var result = options
        if let chunkElements { result.chunkElements = chunkElements }
        if let wholeSegmentElements { result.wholeSegmentElements = wholeSegmentElements }
        if let depth { result.pipelineDepth = depth }
        if let smallBytes { result.smallMessageBytes = smallBytes }
        return result
    }

    /// The knobs that were given, as arguments for the ranks that mpirun starts.
    var arguments: [String] {
        rankArguments(["--chunk-elements": chunkElements, "--whole-segment-elements": wholeSegmentElements,
                       "--depth": depth, "--small-bytes": smallBytes])
    }
}
