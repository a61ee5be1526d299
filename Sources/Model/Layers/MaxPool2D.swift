// MaxPool2D: max pooling over [height, width, channels] windows, remembering each winner
// so the backward pass routes the gradient to exactly that input element.
import CSIMD

/// Max pooling with a square window; stride defaults to the window size.
public final class MaxPool2D: Layer {
    public let name: String
    public let inputShape: [Int]
    public let window: Int
    public let stride: Int
    public var outputShape: [Int] { [outHeight, outWidth, channels] }

    private let height: Int, width: Int, channels: Int, outHeight: Int, outWidth: Int
    private let output = FloatBuffer()
    private var winners: [Int32] = []
    private let inputGradient = FloatBuffer()
    private static let vectorized = CPUInfo.current.hasAVX2

    public init(name: String, inputShape: [Int], window: Int = 2, stride: Int? = nil) {
        let geometry = PoolGeometry(layer: name, inputShape: inputShape, window: window, stride: stride)
        self.name = name
        self.inputShape = inputShape
        (self.window, self.stride) = (geometry.window, geometry.stride)
        (height, width, channels) = (geometry.height, geometry.width, geometry.channels)
        (outHeight, outWidth) = (geometry.outHeight, geometry.outWidth)
    }

    /// The output and the winning positions (4 bytes each); training adds the input gradient.
    public func activationFloats(batch: Int, training: Bool) -> Double {
        Double(batch) * Double(2 * elementCount(outputShape) + (training ? elementCount(inputShape) : 0))
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let outSize = outHeight * outWidth * channels
        output.resize(batch * outSize)
        if winners.count != batch * outSize { winners = [Int32](repeating: 0, count: batch * outSize) }
        let y = output.pointer
        winners.withUnsafeMutableBufferPointer { arg in
            if Self.vectorized {
                csimd_maxpool_forward_avx2(input, batch, height, width, channels, window, stride, y, arg.baseAddress!)
            } else {
                csimd_maxpool_forward(input, batch, height, width, channels, window, stride, y, arg.baseAddress!)
            }
        }
        return y
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        let outSize = outHeight * outWidth * channels, inSize = height * width * channels
        inputGradient.resize(batch * inSize)
        let dx = inputGradient.pointer
        dx.update(repeating: 0, count: batch * inSize)
        winners.withUnsafeBufferPointer { arg in
            for b in 0..<batch {
                let base = dx + b * inSize
                for o in b * outSize..<(b + 1) * outSize {
                    base[Int(arg[o])] += outputGradient[o]
                }
            }
        }
        return dx
    }
}
