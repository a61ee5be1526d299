// DirectConvolution: Conv2D's stride-1 path without im2col — CSIMD's register-tiled kernels read
// a zero-padded copy of the input; the input gradient is the same kernel over the padded output
// gradient with the weights flipped. Channel counts are padded to the vector width with zeros.
import CSIMD

/// Forward and backward of a stride-1 NHWC convolution through CSIMD's direct kernels.
final class DirectConvolution {
    private let width: VectorWidth
    private let height: Int, imageWidth: Int, inChannels: Int, outChannels: Int, kernel: Int, padding: Int
    private let outHeight: Int, outWidth: Int
    private var paddedHeight: Int { height + 2 * padding }
    private var paddedWidth: Int { imageWidth + 2 * padding }
    /// Padding of the output gradient for the input-gradient pass (kernel − 1 − padding).
    private var gradientPadding: Int { kernel - 1 - padding }
    private let outPadded: Int, inPadded: Int       // channel counts rounded up to the vector width

    private let paddedInput = FloatBuffer()       // [batch, H+2p, W+2p, in]
    private let packedWeight = FloatBuffer()      // [kh·kw·in, outPadded]
    private let packedBias = FloatBuffer()        // [outPadded]
    private let wideOutput = FloatBuffer()        // [batch, outH, outW, outPadded] when out is not a multiple
    private let wideGradient = FloatBuffer()      // the same for the output gradient
    private let packedWeightGradient = FloatBuffer()  // [kh·kw·in, outPadded]
    private let paddedGradient = FloatBuffer()    // [batch, outH+2q, outW+2q, out]
    private let flippedWeight = FloatBuffer()     // [kh·kw·out, inPadded], kernel rotated 180°
    private let wideInputGradient = FloatBuffer() // [batch, H, W, inPadded] when in is not a multiple

    /// Whether the direct path can run this convolution on this CPU.
    static func supports(kernel: Int, stride: Int, padding: Int) -> Bool {
        VectorWidth.available != nil && stride == 1 && padding <= kernel - 1
    }

    init(height: Int, width: Int, inChannels: Int, outChannels: Int, kernel: Int, padding: Int) {
        self.width = VectorWidth.available!
        let vector = self.width.lanes
        (self.height, self.imageWidth, self.inChannels, self.outChannels, self.kernel, self.padding) =
            (height, width, inChannels, outChannels, kernel, padding)
        outHeight = height + 2 * padding - kernel + 1
        outWidth = width + 2 * padding - kernel + 1
        outPadded = (outChannels + vector - 1) / vector * vector
        inPadded = (inChannels + vector - 1) / vector * vector
    }

    /// y = conv(x, W) + b for `batch` images into `output` ([batch, outH, outW, out]).
    func forward(_ input: UnsafePointer<Float>, batch: Int, weight: ParameterView, bias: ParameterView,
                 into output: UnsafeMutablePointer<Float>) {
        pad(input, into: paddedInput, batch: batch, rows: height, columns: imageWidth, channels: inChannels, by: padding)
        let patch = kernel * kernel * inChannels
        packedWeight.resize(patch * outPadded)
        packedBias.resize(outPadded)
        let w = weight.value.baseAddress!, b = bias.value.baseAddress!, pw = packedWeight.pointer
        for o in 0..<outChannels {
            for k in 0..<patch { pw[k * outPadded + o] = w[o * patch + k] }
            packedBias.pointer[o] = b[o]
        }
        let wide = outPadded == outChannels
        if !wide { wideOutput.resize(batch * outHeight * outWidth * outPadded) }
        run(forward: paddedInput.pointer, batch: batch, rows: paddedHeight, columns: paddedWidth, channels: inChannels,
            weight: pw, bias: packedBias.pointer, outputs: outPadded, into: wide ? output : wideOutput.pointer)
        if !wide { narrow(wideOutput.pointer, to: output, pixels: batch * outHeight * outWidth, from: outPadded, to: outChannels) }
    }

    /// dW (+)= Σ x ⋆ dy, db (+)= Σ dy, and dx = dy ⋆ rot180(W) when `inputGradient` is given.
    func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, weight: ParameterView, bias: ParameterView,
                  accumulate: Bool, inputGradient: UnsafeMutablePointer<Float>?) {
        let patch = kernel * kernel * inChannels, pixels = batch * outHeight * outWidth
        var dy = outputGradient
        if outPadded != outChannels {
            wideGradient.resize(pixels * outPadded)
            widen(outputGradient, to: wideGradient.pointer, pixels: pixels, from: outChannels, to: outPadded)
            dy = UnsafePointer(wideGradient.pointer)
        }
        packedWeightGradient.resize(patch * outPadded)
        packedWeightGradient.fill(0)
        switch width {
        case .avx512: csimd_conv_weight_gradient_avx512(paddedInput.pointer, batch, paddedHeight, paddedWidth, inChannels,
                                                        kernel, dy, outPadded, packedWeightGradient.pointer)
        case .avx2: csimd_conv_weight_gradient_avx2(paddedInput.pointer, batch, paddedHeight, paddedWidth, inChannels,
                                                    kernel, dy, outPadded, packedWeightGradient.pointer)
        }
        let dw = weight.gradient.baseAddress!, pg = packedWeightGradient.pointer, db = bias.gradient.baseAddress!
        for o in 0..<outChannels {
            for k in 0..<patch { dw[o * patch + k] = (accumulate ? dw[o * patch + k] : 0) + pg[k * outPadded + o] }
        }
        if !accumulate { db.update(repeating: 0, count: outChannels) }
        for p in 0..<pixels {
            let g = outputGradient + p * outChannels
            for o in 0..<outChannels { db[o] += g[o] }
        }
        guard let dx = inputGradient else { return }
        inputGradientPass(outputGradient, batch: batch, weight: weight, into: dx)
    }

    /// dx = pad(dy) ⋆ rot180(W) with input and output channels swapped: a forward pass whose
    /// input is the output gradient.
    private func inputGradientPass(_ dy: UnsafePointer<Float>, batch: Int, weight: ParameterView,
                                   into dx: UnsafeMutablePointer<Float>) {
        let q = gradientPadding
        pad(dy, into: paddedGradient, batch: batch, rows: outHeight, columns: outWidth, channels: outChannels, by: q)
        let taps = kernel * kernel
        flippedWeight.resize(taps * outChannels * inPadded)
        let w = weight.value.baseAddress!, fw = flippedWeight.pointer
        for o in 0..<outChannels {
            for kh in 0..<kernel {
                for kw in 0..<kernel {
                    let source = w + ((o * kernel + kh) * kernel + kw) * inChannels
                    let row = fw + (((kernel - 1 - kh) * kernel + (kernel - 1 - kw)) * outChannels + o) * inPadded
                    for c in 0..<inChannels { row[c] = source[c] }
                }
            }
        }
        let wide = inPadded == inChannels
        if !wide { wideInputGradient.resize(batch * height * imageWidth * inPadded) }
        run(forward: paddedGradient.pointer, batch: batch, rows: outHeight + 2 * q, columns: outWidth + 2 * q,
            channels: outChannels, weight: fw, bias: nil, outputs: inPadded, into: wide ? dx : wideInputGradient.pointer)
        if !wide { narrow(wideInputGradient.pointer, to: dx, pixels: batch * height * imageWidth, from: inPadded, to: inChannels) }
    }

    private func run(forward input: UnsafePointer<Float>, batch: Int, rows: Int, columns: Int, channels: Int,
                     weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outputs: Int, into output: UnsafeMutablePointer<Float>) {
        switch width {
        case .avx512: csimd_conv_forward_avx512(input, batch, rows, columns, channels, kernel, weight, bias, outputs, output)
        case .avx2: csimd_conv_forward_avx2(input, batch, rows, columns, channels, kernel, weight, bias, outputs, output)
        }
    }

    /// Copies `batch` images of rows × columns × channels into the middle of `buffer`, whose
    /// borders of width `p` stay zero (zeroed whenever the buffer's size changes).
    private func pad(_ source: UnsafePointer<Float>, into buffer: FloatBuffer, batch: Int, rows: Int, columns: Int,
                     channels: Int, by p: Int) {
        let paddedRows = rows + 2 * p, paddedColumns = columns + 2 * p
        let count = batch * paddedRows * paddedColumns * channels
        if buffer.count != count {
            buffer.resize(count)
            buffer.fill(0)
        }
        let rowLength = columns * channels
        for b in 0..<batch {
            for r in 0..<rows {
                let to = buffer.pointer + ((b * paddedRows + r + p) * paddedColumns + p) * channels
                to.update(from: source + (b * rows + r) * rowLength, count: rowLength)
            }
        }
    }

    private func narrow(_ wide: UnsafePointer<Float>, to narrow: UnsafeMutablePointer<Float>, pixels: Int, from: Int, to count: Int) {
        for p in 0..<pixels { (narrow + p * count).update(from: wide + p * from, count: count) }
    }

    private func widen(_ narrow: UnsafePointer<Float>, to wide: UnsafeMutablePointer<Float>, pixels: Int, from count: Int, to: Int) {
        for p in 0..<pixels {
            (wide + p * to).update(from: narrow + p * count, count: count)
            (wide + p * to + count).update(repeating: 0, count: to - count)
        }
    }
}
