// Residual: a nested chain of layers whose output is added to its input (y = x + f(x)); the
// gradient reaches the input both directly and through the chain.

/// `y = x + f(x)` for a chain `f` whose output shape equals its input shape. Parameters of the
/// chain's layers are named `<residual>.<layer>.<tensor>`.
public final class Residual: Layer {
    public let name: String
    /// The chain f, first to last.
    public let layers: [Layer]
    public var inputShape: [Int] { layers[0].inputShape }
    public var outputShape: [Int] { inputShape }

    private let output = FloatBuffer()
    private let inputGradient = FloatBuffer()
    /// Whether any layer of the chain learns (fixed at init: backward asks every step).
    private let hasParameters: Bool

    /// `layers` must be non-empty, chained, and end in the shape they start with.
    public init(name: String, layers: [Layer]) {
        precondition(!layers.isEmpty, "a residual block needs at least one layer")
        precondition(elementCount(layers[layers.count - 1].outputShape) == elementCount(layers[0].inputShape),
                     "\(name): the chain must end in the shape it starts with")
        self.name = name
        self.layers = layers
        hasParameters = layers.contains { !$0.parameterRequests.isEmpty }
    }

    public var parameterRequests: [ParameterRequest] {
        layers.flatMap { layer in
            let prefix = local(layer)
            return layer.parameterRequests.map {
                ParameterRequest(prefix.isEmpty ? $0.name : prefix + "." + $0.name, shape: $0.shape, initializer: $0.initializer)
            }
        }
    }

    public func bind(_ views: [ParameterView]) {
        var rest = views[...]
        for layer in layers {
            let count = layer.parameterRequests.count
            layer.bind(Array(rest.prefix(count)))
            rest = rest.dropFirst(count)
        }
    }

    /// A nested layer's name relative to this block (its full name without our prefix; empty
    /// for a layer named as the block itself, whose tensors sit directly under the block's name).
    private func local(_ layer: Layer) -> String {
        if layer.name == name { return "" }
        return layer.name.hasPrefix(name + ".") ? String(layer.name.dropFirst(name.count + 1)) : layer.name
    }

    public func matrixProducts(batch: Int, needInputGradient: Bool) -> [MatrixProduct] {
        layers.flatMap { $0.matrixProducts(batch: batch, needInputGradient: true) }
    }

    /// Its own output (and input gradient) and the chain's buffers.
    public func activationFloats(batch: Int, training: Bool) -> Double {
        Double(batch) * Double(elementCount(inputShape)) * (training ? 2 : 1)
            + layers.reduce(0) { $0 + $1.activationFloats(batch: batch, training: training) }
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        var x = input
        for layer in layers { x = UnsafePointer(layer.forward(x, batch: batch, context: context)) }
        let n = batch * elementCount(inputShape)
        output.resize(n)
        let y = output.pointer
        for i in 0..<n { y[i] = input[i] + x[i] }
        return y
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        // Nothing to learn and no one below to tell: the chain's backward is not needed.
        if !needInputGradient && !hasParameters { return nil }
        var g = outputGradient
        for layer in layers.reversed() {
            g = UnsafePointer(layer.backward(g, batch: batch, accumulate: accumulate, needInputGradient: true)!)
        }
        guard needInputGradient else { return nil }
        let n = batch * elementCount(inputShape)
        inputGradient.resize(n)
        let dx = inputGradient.pointer
        for i in 0..<n { dx[i] = outputGradient[i] + g[i] }
        return dx
    }
}
