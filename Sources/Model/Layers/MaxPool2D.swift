// MaxPool2D: max pooling over [height, width, channels] windows, remembering each winner
// so the backward pass routes the gradient to exactly that input element.
import CSIMD

/// Max pooling with a square window; stride defaults to the window size.
public final class MaxPool2D: Layer {
    public let name: String
    public let inputShape: [Int]
    public var window: Int { geometry.window }
    public var stride: Int { geometry.stride }
    public var outputShape: [Int] { geometry.outputShape }

    private let geometry: PoolGeometry
    private let output = FloatBuffer()
    private var winners: [Int32] = []
    private let inputGradient = FloatBuffer()
    private static let vectorized = CPUInfo.current.flags.contains("avx2")

    public init(name: String, inputShape: [Int], window: Int = 2, stride: Int? = nil) {
        geometry = PoolGeometry(layer: name, inputShape: inputShape, window: window, stride: stride)
        self.name = name
        self.inputShape = inputShape
    }

    /// The output and the winning positions (4 bytes each); training adds the input gradient.
    public func activationFloats(batch: Int, training: Bool) -> Double {
        Double(batch) * Double(2 * elementCount(outputShape) + (training ? elementCount(inputShape) : 0))
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let g = geometry, outSize = g.outputSize
        output.resize(batch * outSize)
        if winners.count != batch * outSize { winners = [Int32](repeating: 0, count: batch * outSize) }
        let y = output.pointer
        winners.withUnsafeMutableBufferPointer { arg in
            if Self.vectorized {
                csimd_maxpool_forward_avx2(input, batch, g.height, g.width, g.channels, g.window, g.stride, y, arg.baseAddress!)
            } else {
                csimd_maxpool_forward(input, batch, g.height, g.width, g.channels, g.window, g.stride, y, arg.baseAddress!)
            }
        }
        return y
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard needInputGradient else { return nil }
        let outSize = geometry.outputSize, inSize = geometry.inputSize
        let dx = geometry.zeroedInputGradient(inputGradient, batch: batch)
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
