// PoolGeometry: the window arithmetic max and average pooling share — input and output sizes
// of a square window moved `stride` apart over [height, width, channels] samples.

/// Sizes of a pooling layer; the window must fit the input at least once.
struct PoolGeometry {
    let height: Int, width: Int, channels: Int
    let window: Int, stride: Int
    let outHeight: Int, outWidth: Int

    /// `stride` nil means the window size.
    init(layer: String, inputShape: [Int], window: Int, stride: Int?) {
        precondition(inputShape.count == 3, "\(layer) expects [height, width, channels]")
        (height, width, channels) = (inputShape[0], inputShape[1], inputShape[2])
        self.window = window
        self.stride = stride ?? window
        outHeight = (height - window) / self.stride + 1
        outWidth = (width - window) / self.stride + 1
        precondition(window <= height && window <= width && outHeight > 0 && outWidth > 0, "\(layer): window larger than input")
    }
}
