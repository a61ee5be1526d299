// GradientBuckets: how the flat gradient buffer is cut into buckets for overlapping the
// gradient average with the backward pass — which bucket is complete after which layer.
//
// Backward visits layers last to first, and each layer's parameters are one contiguous range,
// so walking layers backwards and closing a bucket once it holds `minimumBytes` gives
// contiguous buckets from the end of the buffer towards its start. The first bucket also takes
// the control element that follows the gradients (the stop flag every step carries).

/// The bucket plan for one network.
public struct GradientBuckets: Sendable, Equatable {
    /// One bucket: the elements it covers and the layer after whose backward it is complete.
    public struct Bucket: Sendable, Equatable {
        public var elements: Range<Int>
        public var readyAfterLayer: Int
    }

    /// Buckets in the order they become ready (last layers first).
    public let buckets: [Bucket]

    /// Plans buckets over `layerRanges` (each layer's parameter elements, in layer order,
    /// contiguous) followed by `controlElements` extra elements, each bucket holding at least
    /// `minimumBytes` of fp32 unless it is the last one.
    public init(layerRanges: [Range<Int>], controlElements: Int = 1, minimumBytes: Int) {
        precondition(minimumBytes > 0)
        let minimum = max(1, minimumBytes / 4)
        var result: [Bucket] = []
        let total = (layerRanges.last(where: { !$0.isEmpty })?.upperBound ?? 0)
        var end = total + controlElements   // the open bucket is [start, end)
        var start = end
        let parameterised = layerRanges.indices.filter { !layerRanges[$0].isEmpty }
        for index in parameterised.reversed() {
            start = layerRanges[index].lowerBound
            if end - start >= minimum || index == parameterised.first {
                result.append(Bucket(elements: start..<end, readyAfterLayer: index))
                end = start
            }
        }
        if parameterised.isEmpty && end > 0 {
            result.append(Bucket(elements: 0..<end, readyAfterLayer: layerRanges.count - 1))
        }
        buckets = result
    }
}
