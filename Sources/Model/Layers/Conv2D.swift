// Conv2D: 2-D convolution with stride and zero padding — direct kernels for stride 1 on CPUs with
// AVX2/AVX-512, im2col + one sgemm per batch otherwise. Activations NHWC; weights [out, kh, kw, in].

/// 2-D convolution over `[height, width, channels]` samples.
///
/// With stride 1 on a CPU with AVX2+FMA or AVX-512, `DirectConvolution` computes it without
/// im2col (im2col's skinny matrices leave sgemm memory-bound at small channel counts).
/// Otherwise im2col gathers, for every output pixel, the `kernel × kernel × inChannels` input values it
/// sees (channels innermost, so each gather is a contiguous copy); one sgemm with the weight
/// matrix then produces every output channel of every pixel of the batch.
public final class Conv2D: Layer {
    public let name: String
    public let inputShape: [Int]
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public var outputShape: [Int] { [outHeight, outWidth, outChannels] }

    private let height: Int, width: Int, inChannels: Int
    private let outHeight: Int, outWidth: Int
    private var patch: Int { kernel * kernel * inChannels }

    private var weight: ParameterView!  // [out, kh, kw, in]
    private var bias: ParameterView!    // [out]
    private let columns = FloatBuffer()       // [batch·outH·outW, kh·kw·in]
    private let columnGradient = FloatBuffer()
    private let output = FloatBuffer()
    private let inputGradient = FloatBuffer()
    private let direct: DirectConvolution?

    /// Creates a convolution; `inputShape` is `[height, width, channels]`. Defaults: stride 1,
    /// padding 0; `direct` (default true) allows the direct kernels where they apply.
    public init(name: String, inputShape: [Int], outChannels: Int, kernel: Int,
                stride: Int = 1, padding: Int = 0, direct: Bool = true) {
        precondition(inputShape.count == 3, "Conv2D expects [height, width, channels]")
        self.name = name
        self.inputShape = inputShape
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        (height, width, inChannels) = (inputShape[0], inputShape[1], inputShape[2])
        outHeight = (height + 2 * padding - kernel) / stride + 1
        outWidth = (width + 2 * padding - kernel) / stride + 1
        precondition(outHeight > 0 && outWidth > 0, "\(name): kernel larger than padded input")
        self.direct = direct && DirectConvolution.supports(kernel: kernel, stride: stride, padding: padding)
            ? DirectConvolution(height: height, width: width, inChannels: inChannels, outChannels: outChannels,
                                kernel: kernel, padding: padding)
            : nil
    }

    /// Whether this layer runs the direct kernels (false: im2col + sgemm).
    public var usesDirectKernels: Bool { direct != nil }

    public var parameterRequests: [ParameterRequest] {
        [ParameterRequest("weight", shape: [outChannels, kernel, kernel, inChannels],
                          initializer: .he(fanIn: patch)),
         ParameterRequest("bias", shape: [outChannels], initializer: .constant(0))]
    }

    public func bind(_ views: [ParameterView]) {
        weight = views[0]
        bias = views[1]
    }

    public func matrixProducts(batch: Int, needInputGradient: Bool) -> [MatrixProduct] {
        let rows = batch * outHeight * outWidth
        return [MatrixProduct(m: rows, n: outChannels, k: patch, transposeA: false, transposeB: true),
                MatrixProduct(m: outChannels, n: patch, k: rows, transposeA: true, transposeB: false)]
            + (needInputGradient ? [MatrixProduct(m: rows, n: patch, k: outChannels, transposeA: false, transposeB: false)] : [])
    }

    /// The output and the im2col columns (the direct kernels' padded copies are no larger);
    /// training adds the column and input gradients.
    public func activationFloats(batch: Int, training: Bool) -> Double {
        let rows = Double(batch * outHeight * outWidth)
        return rows * Double(outChannels + patch) + (training ? rows * Double(patch) + Double(batch * height * width * inChannels) : 0)
    }

    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        let rows = batch * outHeight * outWidth
        output.resize(rows * outChannels)
        if let direct {
            direct.forward(input, batch: batch, weight: weight, bias: bias, into: output.pointer)
            return output.pointer
        }
        columns.resize(rows * patch)
        imageToColumns(input, batch: batch)
        linearForward(columns.pointer, rows: rows, inputs: patch, outputs: outChannels, weight: weight, bias: bias,
                      into: output.pointer)
        return output.pointer
    }

    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         needInputGradient: Bool) -> UnsafeMutablePointer<Float>? {
        let rows = batch * outHeight * outWidth
        if let direct {
            if needInputGradient { inputGradient.resize(batch * height * width * inChannels) }
            direct.backward(outputGradient, batch: batch, weight: weight, bias: bias, accumulate: accumulate,
                            inputGradient: needInputGradient ? inputGradient.pointer : nil)
            return needInputGradient ? inputGradient.pointer : nil
        }
        if needInputGradient { columnGradient.resize(rows * patch) }
        linearBackward(outputGradient, input: columns.pointer, rows: rows, inputs: patch, outputs: outChannels,
                       weight: weight, bias: bias, accumulate: accumulate,
                       inputGradient: needInputGradient ? columnGradient.pointer : nil)
        guard needInputGradient else { return nil }
        inputGradient.resize(batch * height * width * inChannels)
        columnsToImage(batch: batch)
        return inputGradient.pointer
    }

    /// Fills `columns`: row (b, oh, ow) holds the kernel window at that output pixel,
    /// ordered (kh, kw, channel); zeros where the window covers padding. In NHWC a window row
    /// (fixed kh) is kernel × channels contiguous floats, copied at once when fully inside.
    private func imageToColumns(_ input: UnsafePointer<Float>, batch: Int) {
        let cols = columns.pointer
        let imageSize = height * width * inChannels
        let rowLength = kernel * inChannels
        var row = cols
        for b in 0..<batch {
            let image = input + b * imageSize
            for oh in 0..<outHeight {
                for ow in 0..<outWidth {
                    var dst = row
                    let iw0 = ow * stride - padding
                    let inside = iw0 >= 0 && iw0 + kernel <= width
                    for kh in 0..<kernel {
                        let ih = oh * stride - padding + kh
                        if ih < 0 || ih >= height {
                            dst.update(repeating: 0, count: rowLength)
                        } else if inside {
                            dst.update(from: image + (ih * width + iw0) * inChannels, count: rowLength)
                        } else {
                            for kw in 0..<kernel {
                                let iw = iw0 + kw
                                let cell = dst + kw * inChannels
                                if iw >= 0 && iw < width {
                                    cell.update(from: image + (ih * width + iw) * inChannels, count: inChannels)
                                } else {
                                    cell.update(repeating: 0, count: inChannels)
                                }
                            }
                        }
                        dst += rowLength
                    }
                    row += patch
                }
            }
        }
    }

    /// The adjoint of `imageToColumns`: scatter-adds `columnGradient` into `inputGradient`.
    private func columnsToImage(batch: Int) {
        let dx = inputGradient.pointer
        dx.update(repeating: 0, count: inputGradient.count)
        let imageSize = height * width * inChannels
        var row = UnsafePointer(columnGradient.pointer)
        for b in 0..<batch {
            let image = dx + b * imageSize
            for oh in 0..<outHeight {
                for ow in 0..<outWidth {
                    var src = row
                    for kh in 0..<kernel {
                        let ih = oh * stride - padding + kh
                        let rowValid = ih >= 0 && ih < height
                        for kw in 0..<kernel {
                            let iw = ow * stride - padding + kw
                            if rowValid && iw >= 0 && iw < width {
                                let dst = image + (ih * width + iw) * inChannels
                                for c in 0..<inChannels { dst[c] += src[c] }
                            }
                            src += inChannels
                        }
                    }
                    row += patch
                }
            }
        }
    }
}
