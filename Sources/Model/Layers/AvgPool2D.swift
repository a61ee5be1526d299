// AvgPool2D and GlobalAvgPool: average pooling over [height, width, channels] windows, and over
// the whole image (one value per channel); the backward pass spreads each gradient evenly.

/// Average pooling with a square window; stride defaults to the window size.
public final class AvgPool2D: Layer {
    public let name: String
    public let inputShape: [Int]
    public let window: Int
    public let stride: Int
    public var outputShape: [Int] { [outHeight, outWidth, channels] }

    private let height: Int, width: Int, channels: Int, outHeight: Int, outWidth: Int
    private let output = FloatBuffer()
    private let inputGradient = FloatBuffer()

    /// A window×window average, `stride` apart (default: the window); `inputShape` is
    /// `[height, width, channels]` and must hold at least one window.
    public init(name: String, inputShape: [Int], window: Int = 2, stride: Int? = nil) {
        let geometry = PoolGeometry(layer: name, inputShape: inputShape, window: window, stride: stride)
        self.name = name
        self.inputShape = inputShape
        (self.window, self.stride) = (geometry.window, geometry.stride)
        (height, width, channels) = (geometry.height, geometry.width, geometry.channels)
        (outHeight, outWidth) = (geometry.outHeight, geometry.outWidth)
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let inSize = height * width * channels, outSize = outHeight * outWidth * channels
        output.resize(batch * outSize)
        let y = output.pointer
        let scale = 1 / Float(window * window)
        for b in 0..<batch {
            let x = input + b * inSize, out = y + b * outSize
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    let o = out + (oy * outWidth + ox) * channels
                    o.update(repeating: 0, count: channels)
                    for ky in 0..<window {
                        for kx in 0..<window {
                            let row = x + ((oy * stride + ky) * width + ox * stride + kx) * channels
                            for c in 0..<channels { o[c] += row[c] }
                        }
                    }
                    for c in 0..<channels { o[c] *= scale }
                }
            }
        }
        return y
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        let inSize = height * width * channels, outSize = outHeight * outWidth * channels
        inputGradient.resize(batch * inSize)
        let dx = inputGradient.pointer
        dx.update(repeating: 0, count: batch * inSize)
        let scale = 1 / Float(window * window)
        for b in 0..<batch {
            let g = outputGradient + b * outSize, d = dx + b * inSize
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    let o = g + (oy * outWidth + ox) * channels
                    for ky in 0..<window {
                        for kx in 0..<window {
                            let row = d + ((oy * stride + ky) * width + ox * stride + kx) * channels
                            for c in 0..<channels { row[c] += o[c] * scale }
                        }
                    }
                }
            }
        }
        return dx
    }
}

/// The mean of each channel over the whole image: `[height, width, channels]` → `[channels]`.
public final class GlobalAvgPool: Layer {
    public let name: String
    public let inputShape: [Int]
    public var outputShape: [Int] { [inputShape[2]] }

    private let output = FloatBuffer()
    private let inputGradient = FloatBuffer()

    public init(name: String, inputShape: [Int]) {
        precondition(inputShape.count == 3, "GlobalAvgPool expects [height, width, channels]")
        self.name = name
        self.inputShape = inputShape
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let pixels = inputShape[0] * inputShape[1], channels = inputShape[2]
        output.resize(batch * channels)
        let y = output.pointer
        y.update(repeating: 0, count: batch * channels)
        for b in 0..<batch {
            let out = y + b * channels
            for p in 0..<pixels {
                let x = input + (b * pixels + p) * channels
                for c in 0..<channels { out[c] += x[c] }
            }
            for c in 0..<channels { out[c] /= Float(pixels) }
        }
        return y
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        let pixels = inputShape[0] * inputShape[1], channels = inputShape[2]
        inputGradient.resize(batch * pixels * channels)
        let dx = inputGradient.pointer
        for b in 0..<batch {
            let g = outputGradient + b * channels
            for p in 0..<pixels {
                let d = dx + (b * pixels + p) * channels
                for c in 0..<channels { d[c] = g[c] / Float(pixels) }
            }
        }
        return dx
    }
}
