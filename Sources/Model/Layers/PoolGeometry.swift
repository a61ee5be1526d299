// PoolGeometry: the window arithmetic max and average pooling share — input and output sizes
// of a square window moved `stride` apart over [height, width, channels] samples, and its walk.

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

    /// Per-sample output shape, `[outHeight, outWidth, channels]`.
    var outputShape: [Int] { [outHeight, outWidth, channels] }
    /// Floats in one input sample.
    var inputSize: Int { height * width * channels }
    /// Floats in one output sample.
    var outputSize: Int { outHeight * outWidth * channels }

    /// Calls `body` with the offset within a sample of each input pixel (a row of `channels`
    /// floats) the window of output pixel (`oy`, `ox`) covers.
    @inline(__always)
    func forEachWindowPixel(oy: Int, ox: Int, _ body: (Int) -> Void) {
        for ky in 0..<window {
            for kx in 0..<window { body(((oy * stride + ky) * width + ox * stride + kx) * channels) }
        }
    }

    /// `buffer` sized for the input gradient of `batch` samples and zeroed, for a backward pass
    /// that adds into it.
    func zeroedInputGradient(_ buffer: FloatBuffer, batch: Int) -> UnsafeMutablePointer<Float> {
        buffer.resize(batch * inputSize)
        buffer.pointer.update(repeating: 0, count: batch * inputSize)
        return buffer.pointer
    }
}
