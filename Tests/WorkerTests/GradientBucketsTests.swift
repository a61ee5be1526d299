// GradientBucketsTests: the bucket plan covers the gradient buffer (and the control element)
// exactly once, in contiguous pieces from the end, each ready after the right layer.
import Testing
@testable import Worker
import Model

@Suite struct GradientBucketsTests {
    /// The MLP 784-512-256-10 layout: fc1, relu, fc2, relu, fc3.
    let mlpRanges: [Range<Int>] = [0..<401_920, 401_920..<401_920, 401_920..<533_504, 533_504..<533_504, 533_504..<536_074]

    @Test(arguments: [1, 4096, 524_288, 1 << 20, 64 << 20])
    func bucketsTileTheBuffer(minimumBytes: Int) {
        let plan = GradientBuckets(layerRanges: mlpRanges, minimumBytes: minimumBytes)
        var end = 536_075   // gradients plus the control element
        for bucket in plan.buckets {
            #expect(bucket.elements.upperBound == end)
            #expect(!bucket.elements.isEmpty)
            // Ready after the layer owning its first element: every later layer is done by then.
            #expect(mlpRanges[bucket.readyAfterLayer].lowerBound == bucket.elements.lowerBound)
            end = bucket.elements.lowerBound
        }
        #expect(end == 0)
        for bucket in plan.buckets.dropLast() { #expect(bucket.elements.count * 4 >= minimumBytes) }
    }

    @Test func sizesDecideTheCuts() {
        // 512 KiB: fc3 (10 KB) joins fc2; fc1 is its own bucket.
        let plan = GradientBuckets(layerRanges: mlpRanges, minimumBytes: 524_288)
        #expect(plan.buckets.map(\.readyAfterLayer) == [2, 0])
        // Tiny buckets: one per parameterised layer, last first.
        #expect(GradientBuckets(layerRanges: mlpRanges, minimumBytes: 4).buckets.map(\.readyAfterLayer) == [4, 2, 0])
        // Huge: everything in one bucket, ready after the first layer.
        #expect(GradientBuckets(layerRanges: mlpRanges, minimumBytes: 1 << 30).buckets.map(\.readyAfterLayer) == [0])
    }

    @Test func networkRangesMatchTheLayout() {
        let network = Sequential(layers: [Dense(name: "fc1", inputs: 6, outputs: 4), Activation(name: "relu", kind: .relu, shape: [4]),
                                          Dense(name: "fc2", inputs: 4, outputs: 3)], seed: 1)
        #expect(network.parameterRanges == [0..<28, 28..<28, 28..<43])
    }
}
