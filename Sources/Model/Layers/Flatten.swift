// Flatten: reshapes [height, width, channels] (or any shape) into one feature vector per sample.
// Memory is already contiguous per sample, so both passes hand their input straight through.

/// Reshape to `[product of input shape]`; no data moves.
public final class Flatten: Layer {
    public let name: String
    public let inputShape: [Int]
    public var outputShape: [Int] { [elementCount(inputShape)] }

    public init(name: String, shape: [Int]) {
        self.name = name
        self.inputShape = shape
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        UnsafeMutablePointer(mutating: input)
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        needInputGradient ? UnsafeMutablePointer(mutating: outputGradient) : nil
    }
}
