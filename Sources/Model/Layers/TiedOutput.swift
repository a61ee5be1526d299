// TiedOutput: the output layer of a language model tied to its token embedding — logits
// y = x·Eᵀ with E the embedding's `weight [vocab, dim]`, no bias, no tensor of its own (GPT-2's lm_head).

import CBLAS

/// A bias-free linear layer whose weight is an `Embedding`'s table: `[..., dim]` in,
/// `[..., vocab]` out. It owns no parameters; `Sequential` binds it to the embedding named
/// `embeddingName`, and its weight gradient is added into the embedding's gradient (the tensor
/// appears once in checkpoints).
public final class TiedOutput: Layer {
    public let name: String
    /// The name of the embedding layer whose table this layer uses.
    public let embeddingName: String
    public let vocab: Int
    public let dim: Int
    /// Positions per sample (the product of the axes before the last).
    public let positions: Int
    private let leading: [Int]
    public var inputShape: [Int] { leading + [dim] }
    public var outputShape: [Int] { leading + [vocab] }

    private var weight: ParameterView!   // the embedding's [vocab, dim]
    private var input: UnsafePointer<Float>?
    private let output = FloatBuffer()
    private let inputGradient = FloatBuffer()

    /// A layer over `inputShape` (`[..., dim]`) tied to the `vocab × dim` embedding `embeddingName`.
    public init(name: String, embeddingName: String, inputShape: [Int], vocab: Int) {
        precondition(!inputShape.isEmpty, "TiedOutput needs an input axis")
        self.name = name
        self.embeddingName = embeddingName
        self.vocab = vocab
        self.dim = inputShape[inputShape.count - 1]
        self.leading = Array(inputShape.dropLast())
        self.positions = elementCount(leading)
    }

    /// Uses `embedding`'s table as the weight (called once by `Sequential` after binding).
    public func tie(to embedding: ParameterView) {
        precondition(embedding.entry.shape == [vocab, dim], "\(name): tied tensor \(embedding.entry.name) is \(embedding.entry.shape), expected [\(vocab), \(dim)]")
        weight = embedding
    }

    public func matrixProducts(batch: Int, needInputGradient: Bool) -> [MatrixProduct] {
        let rows = batch * positions
        return [MatrixProduct(m: rows, n: vocab, k: dim, transposeA: false, transposeB: true),
                MatrixProduct(m: vocab, n: dim, k: rows, transposeA: true, transposeB: false)]
            + (needInputGradient ? [MatrixProduct(m: rows, n: dim, k: vocab, transposeA: false, transposeB: false)] : [])
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        self.input = input
        let rows = batch * positions
        output.resize(rows * vocab)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(vocab), Int32(dim),
                    1, input, Int32(dim), weight.value.baseAddress, Int32(dim), 0, output.pointer, Int32(vocab))
        return output.pointer
    }

    /// Writes (or, with `accumulate`, adds) dE = dYᵀ·x into the embedding's gradient. Backward
    /// runs last layer first, so this comes before the embedding adds its own part.
    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        let rows = batch * positions
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(vocab), Int32(dim), Int32(rows),
                    1, outputGradient, Int32(vocab), input, Int32(dim), accumulate ? 1 : 0, weight.gradient.baseAddress, Int32(dim))
        guard needInputGradient else { return nil }
        inputGradient.resize(rows * dim)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(dim), Int32(vocab),
                    1, outputGradient, Int32(vocab), weight.value.baseAddress, Int32(dim), 0, inputGradient.pointer, Int32(dim))
        return inputGradient.pointer
    }
}
