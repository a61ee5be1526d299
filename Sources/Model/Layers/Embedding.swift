// Embedding and PositionEmbedding: token ids to learned vectors (nn.Embedding's `weight [vocab,
// dim]`), and a learned vector added at each position of a sequence (GPT's wpe).

/// Token embedding: a sample of `positions` token ids (stored as whole-number floats) becomes
/// `[positions, dim]` rows of `weight [vocab, dim]`. The trainer refuses data holding other
/// values (`firstInvalidID`); should one get through, it reads row 0. It has no input gradient,
/// so it must be the first layer.
public final class Embedding: Layer {
    public let name: String
    public let vocab: Int
    public let dim: Int
    public let positions: Int
    public var inputShape: [Int] { [positions] }
    public var outputShape: [Int] { [positions, dim] }
    /// Initialisation of the table. Default N(0, 0.02²).
    public let initializer: Initializer

    private var weight: ParameterView!   // [vocab, dim]
    /// True when a `TiedOutput` also writes this table's gradient: it runs first in backward,
    /// so this layer then always adds to the gradient. Set by `Sequential`; default false.
    var gradientIsShared = false
    private var ids: [Int32] = []
    private let output = FloatBuffer()

    public init(name: String, vocab: Int, dim: Int, positions: Int, initializer: Initializer = .normal(std: 0.02)) {
        self.name = name
        self.vocab = vocab
        self.dim = dim
        self.positions = positions
        self.initializer = initializer
    }

    public var parameterRequests: [ParameterRequest] { [ParameterRequest("weight", shape: [vocab, dim], initializer: initializer)] }
    public func bind(_ views: [ParameterView]) { weight = views[0] }

    /// The first value of `features` that is not a whole token id below `vocab`, with its index.
    public func firstInvalidID(in features: [Float]) -> (index: Int, value: Float)? {
        for (i, v) in features.enumerated() where !(v >= 0 && v < Float(vocab) && v == v.rounded()) { return (i, v) }
        return nil
    }

    /// The first token id of `dataset` outside `0..<vocab`: its sample, position and value. For
    /// text, whose ids are bytes, only the largest byte is compared (no scan of the windows).
    public func firstInvalidID(in dataset: Dataset) -> (sample: Int, position: Int, value: Float)? {
        if let text = dataset.text {
            guard Int(text.largestByte) >= vocab, let at = text.bytes.firstIndex(where: { Int($0) >= vocab }) else { return nil }
            return (at / text.stride, at % text.stride, Float(text.bytes[at]))
        }
        guard let bad = firstInvalidID(in: dataset.features) else { return nil }
        let width = max(dataset.featureCount, 1)
        return (bad.index / width, bad.index % width, bad.value)
    }

    /// The output and the token ids (4 bytes each); no input gradient.
    public func activationFloats(batch: Int, training: Bool) -> Double { Double(batch) * Double(positions * (dim + 1)) }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let rows = batch * positions
        output.resize(rows * dim)
        if ids.count < rows { ids = [Int32](repeating: 0, count: rows) }
        let table = weight.value.baseAddress!
        for r in 0..<rows {
            let v = input[r]
            let id = v >= 0 && v < Float(vocab) ? Int(v) : 0
            ids[r] = Int32(id)
            (output.pointer + r * dim).update(from: table + id * dim, count: dim)
        }
        return output.pointer
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        let g = weight.gradient.baseAddress!
        if !accumulate && !gradientIsShared { g.update(repeating: 0, count: vocab * dim) }
        for r in 0..<(batch * positions) {
            let row = g + Int(ids[r]) * dim, dy = outputGradient + r * dim
            for i in 0..<dim { row[i] += dy[i] }
        }
        return nil
    }
}

/// Learned positional embedding: `y[t] = x[t] + weight[t]` over `[positions, dim]` samples
/// (`weight [positions, dim]`, N(0, 0.02²) by default).
public final class PositionEmbedding: Layer {
    public let name: String
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }
    public let initializer: Initializer

    private var weight: ParameterView!
    private let output = FloatBuffer()

    /// `inputShape` is `[positions, dim]`.
    public init(name: String, inputShape: [Int], initializer: Initializer = .normal(std: 0.02)) {
        precondition(inputShape.count == 2, "PositionEmbedding expects [positions, dim]")
        self.name = name
        self.inputShape = inputShape
        self.initializer = initializer
    }

    public var parameterRequests: [ParameterRequest] { [ParameterRequest("weight", shape: inputShape, initializer: initializer)] }
    public func bind(_ views: [ParameterView]) { weight = views[0] }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let n = elementCount(inputShape)
        output.resize(batch * n)
        let p = weight.value.baseAddress!
        for b in 0..<batch {
            let x = input + b * n, y = output.pointer + b * n
            for i in 0..<n { y[i] = x[i] + p[i] }
        }
        return output.pointer
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        let n = elementCount(inputShape)
        let g = weight.gradient.baseAddress!
        if !accumulate { g.update(repeating: 0, count: n) }
        for b in 0..<batch {
            let dy = outputGradient + b * n
            for i in 0..<n { g[i] += dy[i] }
        }
        return needInputGradient ? UnsafeMutablePointer(mutating: outputGradient) : nil
    }
}
