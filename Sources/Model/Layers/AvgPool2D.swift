// AvgPool2D and GlobalAvgPool: average pooling over [height, width, channels] windows, and over
// the whole image (one value per channel); the backward pass spreads each gradient evenly.

/// Average pooling with a square window; stride defaults to the window size.
public final class AvgPool2D: Layer {
    public let name: String
    public let inputShape: [Int]
    public var window: Int { geometry.window }
    public var stride: Int { geometry.stride }
    public var outputShape: [Int] { geometry.outputShape }

    private let geometry: PoolGeometry
    private let output = FloatBuffer()
    private let inputGradient = FloatBuffer()

    /// A window×window average, `stride` apart (default: the window); `inputShape` is
    /// `[height, width, channels]` and must hold at least one window.
    public init(name: String, inputShape: [Int], window: Int = 2, stride: Int? = nil) {
        geometry = PoolGeometry(layer: name, inputShape: inputShape, window: window, stride: stride)
        self.name = name
        self.inputShape = inputShape
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let g = geometry, channels = g.channels
        output.resize(batch * g.outputSize)
        let y = output.pointer
        let scale = 1 / Float(g.window * g.window)
        for b in 0..<batch {
            let x = input + b * g.inputSize, out = y + b * g.outputSize
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    let o = out + (oy * g.outWidth + ox) * channels
                    o.update(repeating: 0, count: channels)
                    g.forEachWindowPixel(oy: oy, ox: ox) { at in for c in 0..<channels { o[c] += x[at + c] } }
                    for c in 0..<channels { o[c] *= scale }
                }
            }
        }
        return y
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        let g = geometry, channels = g.channels
        let dx = g.zeroedInputGradient(inputGradient, batch: batch)
        let scale = 1 / Float(g.window * g.window)
        for b in 0..<batch {
            let dy = outputGradient + b * g.outputSize, d = dx + b * g.inputSize
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    let o = dy + (oy * g.outWidth + ox) * channels
                    g.forEachWindowPixel(oy: oy, ox: ox) { at in for c in 0..<channels { d[at + c] += o[c] * scale } }
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
