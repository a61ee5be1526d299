// BatchNorm: batch normalisation over the channel (last) axis, synchronised across ranks through
// a summing capability, with PyTorch's running statistics (kept as buffers, not parameters).
import Foundation

/// Batch normalisation of `[..., channels]` samples: over `[N, H, W, C]` images (NHWC, the
/// layout `Conv2D` produces) the statistics of channel c are taken over N·H·W values; over flat
/// `[N, F]` samples over N values per feature.
///
/// Training normalises with the batch's mean and biased variance — the global batch's when the
/// network has a cross-rank sum installed (`Sequential.installCrossRankSum`) — and updates
/// `running_mean` and `running_var` (unbiased variance) with `momentum`, as PyTorch's
/// `nn.BatchNorm2d` does. Evaluation (`ForwardContext.training == false`) normalises with the
/// running statistics. `weight` starts at 1, `bias` at 0.
public final class BatchNorm: Layer, HoldsBuffers {
    public let name: String
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }
    /// Weight of the newest batch in the running statistics. Default 0.1 (PyTorch's).
    public let momentum: Float
    /// Added to the variance before the square root. Default 1e-5.
    public let epsilon: Float
    /// Number of channels (the last axis), each with its own statistics.
    public let channels: Int

    private let positions: Int
    private var weight: ParameterView!   // [channels]
    private var bias: ParameterView!     // [channels]
    /// Running statistics, updated in training, used in evaluation.
    private let runningMean: FloatBuffer      // [channels], starts at 0
    private let runningVariance: FloatBuffer  // [channels], starts at 1
    private let batchesTracked: UnsafeMutablePointer<Int64>
    /// The global sum the statistics are reduced with (nil: this rank's batch alone).
    var reduction: CrossRankReduction?

    private let output = FloatBuffer()
    private let normalized = FloatBuffer()        // x̂, [rows, channels]
    private let inverseDeviation = FloatBuffer()  // 1/σ per channel
    private let mean = FloatBuffer()              // per channel
    private let sums = FloatBuffer()              // reduction scratch: [2·channels + 1]
    /// Per-channel accumulators: sums over tens of thousands of values lose digits in Float,
    /// and differently on different ranks.
    private let accumulators: UnsafeMutablePointer<Double>  // [2·channels]
    private let inputGradient = FloatBuffer()
    /// Values per channel in the (global) batch of the last training forward pass.
    private var globalCount: Float = 0

    /// Creates the layer for samples of `inputShape` (last axis: channels). Defaults: momentum
    /// 0.1, epsilon 1e-5.
    public init(name: String, inputShape: [Int], momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(!inputShape.isEmpty, "BatchNorm needs at least one axis")
        self.name = name
        self.inputShape = inputShape
        self.momentum = momentum
        self.epsilon = epsilon
        channels = inputShape[inputShape.count - 1]
        positions = elementCount(inputShape) / channels
        runningMean = FloatBuffer(count: channels)
        runningVariance = FloatBuffer(count: channels)
        runningVariance.fill(1)
        batchesTracked = .allocate(capacity: 1)
        batchesTracked.initialize(to: 0)
        mean.resize(channels)
        inverseDeviation.resize(channels)
        sums.resize(2 * channels + 1)
        accumulators = .allocate(capacity: 2 * channels)
        accumulators.initialize(repeating: 0, count: 2 * channels)
    }

    deinit {
        batchesTracked.deallocate()
        accumulators.deallocate()
    }

    public var parameterRequests: [ParameterRequest] {
        [ParameterRequest("weight", shape: [channels], initializer: .constant(1)),
         ParameterRequest("bias", shape: [channels], initializer: .constant(0))]
    }

    public func bind(_ views: [ParameterView]) {
        weight = views[0]
        bias = views[1]
    }

    /// `running_mean`, `running_var` (F32 `[channels]`) and `num_batches_tracked` (I64 `[]`).
    public var buffers: [ModelBuffer] {
        [ModelBuffer(name: name + ".running_mean", shape: [channels], storage: .float(runningMean.buffer)),
         ModelBuffer(name: name + ".running_var", shape: [channels], storage: .float(runningVariance.buffer)),
         ModelBuffer(name: name + ".num_batches_tracked", shape: [], storage: .int64(batchesTracked))]
    }

    /// Training forward passes counted so far (PyTorch's `num_batches_tracked`).
    public var trackedBatches: Int64 { batchesTracked.pointee }

    /// The output and the normalized input; training adds the input gradient.
    public func activationFloats(batch: Int, training: Bool) -> Double {
        Double(batch) * Double(elementCount(inputShape)) * (training ? 3 : 2)
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let rows = batch * positions, c = channels
        output.resize(rows * c)
        let m = mean.pointer, inverse = inverseDeviation.pointer
        if context.training {
            computeBatchStatistics(input, rows: rows)
        } else {
            for j in 0..<c {
                m[j] = runningMean.pointer[j]
                inverse[j] = 1 / (runningVariance.pointer[j] + epsilon).squareRoot()
            }
        }
        normalized.resize(rows * c)
        let w = weight.value.baseAddress!, b = bias.value.baseAddress!
        for r in 0..<rows {
            let x = input + r * c, xhat = normalized.pointer + r * c, y = output.pointer + r * c
            for j in 0..<c {
                xhat[j] = (x[j] - m[j]) * inverse[j]
                y[j] = xhat[j] * w[j] + b[j]
            }
        }
        return output.pointer
    }

    /// Mean and 1/σ of the (global) batch into `mean` / `inverseDeviation`, two reductions: the
    /// sums with the count, then the squared deviations from the global mean (stable, unlike
    /// E[x²] − E[x]²). Updates the running statistics.
    private func computeBatchStatistics(_ input: UnsafePointer<Float>, rows: Int) {
        let c = channels, s = sums.pointer, m = mean.pointer, a = accumulators
        for j in 0..<c { a[j] = 0 }
        for r in 0..<rows {
            let x = input + r * c
            for j in 0..<c { a[j] += Double(x[j]) }
        }
        for j in 0..<c { s[j] = Float(a[j]) }
        s[c] = Float(rows)
        reduce(count: c + 1)
        let count = s[c]
        globalCount = count
        for j in 0..<c { m[j] = s[j] / count }
        for j in 0..<c { a[j] = 0 }
        for r in 0..<rows {
            let x = input + r * c
            for j in 0..<c {
                let d = Double(x[j] - m[j])
                a[j] += d * d
            }
        }
        for j in 0..<c { s[j] = Float(a[j]) }
        reduce(count: c)
        let keep = 1 - momentum
        for j in 0..<c {
            let biased = s[j] / count
            inverseDeviation.pointer[j] = 1 / (biased + epsilon).squareRoot()
            let unbiased = count > 1 ? s[j] / (count - 1) : biased
            runningMean.pointer[j] = keep * runningMean.pointer[j] + momentum * m[j]
            runningVariance.pointer[j] = keep * runningVariance.pointer[j] + momentum * unbiased
        }
        batchesTracked.pointee += 1
    }

    /// Sums the first `count` values of `sums` across ranks (nothing to do on one).
    private func reduce(count: Int) {
        reduction?.sum(UnsafeMutableBufferPointer(start: sums.pointer, count: count))
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        let rows = batch * positions, c = channels
        let s = sums.pointer, a = accumulators   // [Σ dy | Σ dy·x̂], this rank's, then the global ones
        for j in 0..<(2 * c) { a[j] = 0 }
        for r in 0..<rows {
            let dy = outputGradient + r * c, xhat = normalized.pointer + r * c
            for j in 0..<c {
                a[j] += Double(dy[j])
                a[c + j] += Double(dy[j] * xhat[j])
            }
        }
        for j in 0..<(2 * c) { s[j] = Float(a[j]) }
        let dw = weight.gradient.baseAddress!, db = bias.gradient.baseAddress!
        for j in 0..<c {
            db[j] = accumulate ? db[j] + s[j] : s[j]
            dw[j] = accumulate ? dw[j] + s[c + j] : s[c + j]
        }
        guard needInputGradient else { return nil }
        // x̂ depends on every sample of the global batch: dx needs the global sums.
        reduce(count: 2 * c)
        inputGradient.resize(rows * c)
        let w = weight.value.baseAddress!, inverse = inverseDeviation.pointer
        let perValue = 1 / globalCount
        for r in 0..<rows {
            let dy = outputGradient + r * c, xhat = normalized.pointer + r * c, dx = inputGradient.pointer + r * c
            for j in 0..<c {
                dx[j] = w[j] * inverse[j] * (dy[j] - perValue * s[j] - xhat[j] * perValue * s[c + j])
            }
        }
        return inputGradient.pointer
    }
}
