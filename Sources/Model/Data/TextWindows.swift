// TextWindows: the samples of a byte-level text split — windows of `context` bytes and the same
// window shifted by one byte as targets — cut from the bytes when gathered, never stored as floats.

/// Windows over one split's bytes. Window `i` starts at `starts[i]` when a subset was picked,
/// otherwise at `i × stride`; its features are bytes `start ..< start + context` and its targets
/// bytes `start + 1 ... start + context` (the next byte at every position).
public struct TextWindows: Sendable {
    /// Token ids of byte-level text: one per byte value.
    public static let vocabulary = 256

    /// The split's bytes.
    public let bytes: [UInt8]
    /// Bytes per sample.
    public let context: Int
    /// Offset between consecutive windows: 1 for training (a window at every offset), `context`
    /// for evaluation (non-overlapping windows).
    public let stride: Int
    /// The largest byte value in `bytes` (what an embedding's vocabulary must exceed).
    public let largestByte: UInt8
    /// Explicit window starts after `windows(at:)`; nil means every `stride`-th offset.
    private var starts: [Int]?

    /// Windows of `context` bytes every `stride` bytes over `bytes`; the last partial window is
    /// dropped. `bytes` must hold at least `context + 1` bytes (a precondition).
    public init(bytes: [UInt8], context: Int, stride: Int) {
        precondition(context >= 1 && stride >= 1, "TextWindows: context and stride must be at least 1")
        precondition(bytes.count >= context + 1, "TextWindows: \(bytes.count) bytes hold no window of \(context) + 1")
        self.bytes = bytes
        self.context = context
        self.stride = stride
        self.largestByte = bytes.max() ?? 0
    }

    /// Number of windows.
    public var count: Int { starts?.count ?? (bytes.count - 1 - context) / stride + 1 }

    /// Where window `index` starts in `bytes`.
    @inline(__always)
    public func start(of index: Int) -> Int { starts?[index] ?? index * stride }

    /// The windows at `indices`, in that order (the same bytes, no copy).
    public func windows(at indices: [Int]) -> TextWindows {
        var picked = self
        picked.starts = indices.map { start(of: $0) }
        return picked
    }

    /// Writes the windows at `indices` as byte values: `context` features and `context` targets
    /// per window, to caller-provided memory. Allocates nothing.
    public func gather(_ indices: ArraySlice<Int>, features: UnsafeMutablePointer<Float>,
                       targets: UnsafeMutablePointer<Float>) {
        let total = count
        bytes.withUnsafeBufferPointer { source in
            var x = features, y = targets
            for index in indices {
                precondition(index >= 0 && index < total, "TextWindows: window \(index) out of 0..<\(total)")
                let from = source.baseAddress! + start(of: index)
                for j in 0..<context {
                    x[j] = Float(from[j])
                    y[j] = Float(from[j + 1])
                }
                x += context
                y += context
            }
        }
    }
}
