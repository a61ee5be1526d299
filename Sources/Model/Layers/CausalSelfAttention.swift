// CausalSelfAttention: multi-head self-attention over [positions, dim] samples, each position
// seeing itself and earlier ones — one qkv projection, softmax(QKᵀ/√d)·V per head, one output projection.
import CBLAS
import Foundation

/// Multi-head causal self-attention (GPT-2's `attn`). Parameters `qkv.weight [3·dim, dim]`
/// (q rows, then k, then v), `qkv.bias`, `proj.weight [dim, dim]`, `proj.bias`; weights
/// N(0, 0.02²) by default, biases 0. With `causal` false every position sees every other.
public final class CausalSelfAttention: Layer {
    public let name: String
    public let positions: Int
    public let dim: Int
    public let heads: Int
    public let causal: Bool
    public var inputShape: [Int] { [positions, dim] }
    public var outputShape: [Int] { [positions, dim] }
    /// Initialisation of both weight matrices. Default N(0, 0.02²).
    public let weightInit: Initializer

    /// The width softmax and its backward run their vector kernels at (default: the widest this
    /// CPU has); nil, the scalar loops run — tests compare them.
    var vectorWidth = VectorWidth.available
    private var qkvWeight: ParameterView!, qkvBias: ParameterView!, projWeight: ParameterView!, projBias: ParameterView!
    private var input: UnsafePointer<Float>?
    private let qkv = FloatBuffer()            // [batch·positions, 3·dim]
    private let attended = FloatBuffer()       // [batch·positions, dim], heads side by side
    private let probabilities = FloatBuffer()  // [batch, heads, positions, positions]
    private let output = FloatBuffer()
    private let attendedGradient = FloatBuffer()
    private let qkvGradient = FloatBuffer()
    private let scoreGradient = FloatBuffer()  // [positions, positions], one head at a time
    private let inputGradient = FloatBuffer()

    /// `heads` must divide `dim`.
    public init(name: String, positions: Int, dim: Int, heads: Int, causal: Bool = true,
                weightInit: Initializer = .normal(std: 0.02)) {
        precondition(heads > 0 && dim % heads == 0, "\(name): heads must divide dim")
        self.name = name
        self.positions = positions
        self.dim = dim
        self.heads = heads
        self.causal = causal
        self.weightInit = weightInit
        (rowBlocks, columnBlocks) = Self.blocks(positions: positions, causal: causal, rows: causalBlockRows)
    }

    private var headDim: Int { dim / heads }
    private var scale: Float { 1 / Float(headDim).squareRoot() }

    public var parameterRequests: [ParameterRequest] {
        [ParameterRequest("qkv.weight", shape: [3 * dim, dim], initializer: weightInit),
         ParameterRequest("qkv.bias", shape: [3 * dim], initializer: .constant(0)),
         ParameterRequest("proj.weight", shape: [dim, dim], initializer: weightInit),
         ParameterRequest("proj.bias", shape: [dim], initializer: .constant(0))]
    }

    public func bind(_ views: [ParameterView]) {
        (qkvWeight, qkvBias, projWeight, projBias) = (views[0], views[1], views[2], views[3])
    }

    /// Rows of the score matrix per product when causal (default 32, at least 1): a block of rows
    /// sees only the keys up to its last row, so the all-masked blocks above the diagonal are
    /// never computed.
    var causalBlockRows = 32 {
        didSet {
            precondition(causalBlockRows > 0, "\(name): causal blocks need at least one row")
            (rowBlocks, columnBlocks) = Self.blocks(positions: positions, causal: causal, rows: causalBlockRows)
        }
    }
    /// Tests only: when set, the probability and score-gradient buffers are filled with this value
    /// before each pass, so reading an entry the pass does not write would show.
    var scratchFill: Float?
    /// Each block of rows with the number of keys it sees (one block of all rows when not causal).
    private var rowBlocks: [(rows: Range<Int>, visible: Int)] = []
    /// Each block of keys with the first row that sees it (row 0 when not causal).
    private var columnBlocks: [(columns: Range<Int>, firstRow: Int)] = []

    private static func blocks(positions: Int, causal: Bool, rows: Int)
        -> ([(rows: Range<Int>, visible: Int)], [(columns: Range<Int>, firstRow: Int)]) {
        guard causal else { return ([(0..<positions, positions)], [(0..<positions, 0)]) }
        let starts = Array(stride(from: 0, to: positions, by: rows))
        return (starts.map { ($0..<min(positions, $0 + rows), min(positions, $0 + rows)) },
                starts.map { ($0..<min(positions, $0 + rows), $0) })
    }

    public func matrixProducts(batch: Int, needInputGradient: Bool) -> [MatrixProduct] {
        let rows = batch * positions, t = positions, d = headDim
        let linear = [MatrixProduct(m: rows, n: 3 * dim, k: dim, transposeA: false, transposeB: true),
                      MatrixProduct(m: rows, n: dim, k: dim, transposeA: false, transposeB: true),
                      MatrixProduct(m: dim, n: dim, k: rows, transposeA: true, transposeB: false),
                      MatrixProduct(m: rows, n: dim, k: dim, transposeA: false, transposeB: false),
                      MatrixProduct(m: 3 * dim, n: dim, k: rows, transposeA: true, transposeB: false)]
            + (needInputGradient ? [MatrixProduct(m: rows, n: dim, k: 3 * dim, transposeA: false, transposeB: false)] : [])
        // Per head: S = QKᵀ and O = PV by row blocks, dP = dO·Vᵀ and dQ = dS·K by row blocks,
        // dV = Pᵀ·dO and dK = dSᵀ·Q by column blocks.
        let byRows = rowBlocks.flatMap { block in
            [MatrixProduct(m: block.rows.count, n: block.visible, k: d, transposeA: false, transposeB: true),
             MatrixProduct(m: block.rows.count, n: d, k: block.visible, transposeA: false, transposeB: false)]
        }
        let byColumns = columnBlocks.map { block in
            MatrixProduct(m: block.columns.count, n: d, k: t - block.firstRow, transposeA: true, transposeB: false)
        }
        let perHead = byRows + byRows + byColumns + byColumns
        return linear + Array(repeating: perHead, count: batch * heads).flatMap { $0 }
    }

    /// q, k, v, the heads' outputs, the output and the `batch × heads × positions²` attention
    /// probabilities; training adds their gradients and one head's score gradient.
    public func activationFloats(batch: Int, training: Bool) -> Double {
        let rows = Double(batch * positions), square = Double(positions) * Double(positions)
        let forward = rows * Double(dim) * 5 + Double(batch * heads) * square
        return forward + (training ? rows * Double(dim) * 5 + square : 0)
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        self.input = input
        let rows = batch * positions, t = positions, d = headDim, stride = 3 * dim
        qkv.resize(rows * stride)
        attended.resize(rows * dim)
        probabilities.resize(batch * heads * t * t)
        if let scratchFill { probabilities.pointer.update(repeating: scratchFill, count: batch * heads * t * t) }
        output.resize(rows * dim)
        linearForward(input, rows: rows, inputs: dim, outputs: stride, weight: qkvWeight, bias: qkvBias, into: qkv.pointer)
        let blocks = rowBlocks
        for b in 0..<batch {
            for h in 0..<heads {
                let q = qkv.pointer + b * t * stride + h * d, k = q + dim, v = q + 2 * dim
                let p = probabilities.pointer + (b * heads + h) * t * t
                let o = attended.pointer + b * t * dim + h * d
                // Scores of each row block against the keys it sees; softmax zeroes the rest.
                for block in blocks {
                    let r = block.rows.lowerBound
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(block.rows.count), Int32(block.visible), Int32(d),
                                scale, q + r * stride, Int32(stride), k, Int32(stride), 0, p + r * t, Int32(t))
                }
                if let vectorWidth {
                    vectorWidth.softmaxRows(p, rows: t, count: t, causal: causal, block: causalBlockRows)
                } else {
                    for i in 0..<t { softmaxRow(p + i * t, visible: causal ? i + 1 : t, count: t) }
                }
                for block in blocks {
                    let r = block.rows.lowerBound
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(block.rows.count), Int32(d), Int32(block.visible),
                                1, p + r * t, Int32(t), v, Int32(stride), 0, o + r * dim, Int32(dim))
                }
            }
        }
        linearForward(attended.pointer, rows: rows, inputs: dim, outputs: dim, weight: projWeight, bias: projBias, into: output.pointer)
        return output.pointer
    }

    /// Softmax over the first `visible` entries of a row; the rest become 0.
    private func softmaxRow(_ row: UnsafeMutablePointer<Float>, visible: Int, count: Int) {
        var top = -Float.infinity
        for j in 0..<visible { top = max(top, row[j]) }
        var sum: Float = 0
        for j in 0..<visible {
            row[j] = expf(row[j] - top)
            sum += row[j]
        }
        let inverse = 1 / sum
        for j in 0..<visible { row[j] *= inverse }
        for j in visible..<count { row[j] = 0 }
    }

    /// dS = P ⊙ (dP − Σⱼ dPᵢⱼ Pᵢⱼ) in place over `count` rows of `count`; entries a row does not
    /// see (P = 0, dP never computed) become 0 without being read.
    private func softmaxBackwardRows(_ p: UnsafePointer<Float>, _ ds: UnsafeMutablePointer<Float>, count t: Int) {
        for i in 0..<t {
            let pi = p + i * t, di = ds + i * t, visible = causal ? i + 1 : t
            var dot: Float = 0
            for j in 0..<visible { dot += pi[j] * di[j] }
            for j in 0..<visible { di[j] = pi[j] * (di[j] - dot) }
            for j in visible..<t { di[j] = 0 }
        }
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        let rows = batch * positions, t = positions, d = headDim, stride = 3 * dim
        attendedGradient.resize(rows * dim)
        qkvGradient.resize(rows * stride)
        scoreGradient.resize(t * t)
        if let scratchFill { scoreGradient.pointer.update(repeating: scratchFill, count: t * t) }
        linearBackward(outputGradient, input: attended.pointer, rows: rows, inputs: dim, outputs: dim,
                       weight: projWeight, bias: projBias, accumulate: accumulate, inputGradient: attendedGradient.pointer)
        let ds = scoreGradient.pointer
        let blocks = rowBlocks
        for b in 0..<batch {
            for h in 0..<heads {
                let q = qkv.pointer + b * t * stride + h * d, k = q + dim, v = q + 2 * dim
                let dq = qkvGradient.pointer + b * t * stride + h * d, dk = dq + dim, dv = dq + 2 * dim
                let p = probabilities.pointer + (b * heads + h) * t * t
                let dOut = attendedGradient.pointer + b * t * dim + h * d
                // dP = dO·Vᵀ where a row sees keys; dV = Pᵀ·dO over the rows that see each key block.
                for block in blocks {
                    let r = block.rows.lowerBound
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(block.rows.count), Int32(block.visible), Int32(d),
                                1, dOut + r * dim, Int32(dim), v, Int32(stride), 0, ds + r * t, Int32(t))
                }
                for block in columnBlocks {
                    let c = block.columns.lowerBound, r = block.firstRow
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(block.columns.count), Int32(d), Int32(t - r),
                                1, p + r * t + c, Int32(t), dOut + r * dim, Int32(dim), 0, dv + c * stride, Int32(stride))
                }
                // dS = P ⊙ (dP − Σⱼ dPᵢⱼ Pᵢⱼ); masked entries become 0 unread.
                if let vectorWidth {
                    vectorWidth.softmaxBackwardRows(p, ds, rows: t, count: t, causal: causal, block: causalBlockRows)
                } else {
                    softmaxBackwardRows(p, ds, count: t)
                }
                // dQ = dS·K·scale by row blocks, dK = dSᵀ·Q·scale by key blocks.
                for block in blocks {
                    let r = block.rows.lowerBound
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(block.rows.count), Int32(d), Int32(block.visible),
                                scale, ds + r * t, Int32(t), k, Int32(stride), 0, dq + r * stride, Int32(stride))
                }
                for block in columnBlocks {
                    let c = block.columns.lowerBound, r = block.firstRow
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(block.columns.count), Int32(d), Int32(t - r),
                                scale, ds + r * t + c, Int32(t), q + r * stride, Int32(stride), 0, dk + c * stride, Int32(stride))
                }
            }
        }
        if needInputGradient { inputGradient.resize(rows * dim) }
        linearBackward(qkvGradient.pointer, input: input, rows: rows, inputs: dim, outputs: stride,
                       weight: qkvWeight, bias: qkvBias, accumulate: accumulate,
                       inputGradient: needInputGradient ? inputGradient.pointer : nil)
        return needInputGradient ? inputGradient.pointer : nil
    }
}
