// FiniteValues: the finite check finds a NaN or an infinity at any position — in the vector kernels'
// unrolled part, their one-vector loop, or the masked tail — at every width this CPU runs and in
// the portable loop, and passes buffers with none (including empty ones and -0).
import Testing
@testable import Model

@Test("a value that is not finite is found at any position, at every width",
      arguments: [0, 1, 15, 16, 17, 63, 64, 65, 130, 200])
private func finiteCheckFindsEveryPosition(count: Int) {
    let widths: [VectorWidth?] = [nil] + VectorWidth.runnable.map(Optional.some)
    for width in widths {
        var values = (0..<count).map { Float($0 % 7) - 3 }
        if count > 0 { values[count / 2] = -0.0 }
        #expect(values.withUnsafeBufferPointer { FiniteValues.all($0, width: width) }, "\(count) finite values, \(String(describing: width))")
        for index in 0..<count {
            for bad in [Float.nan, .infinity, -.infinity] {
                let kept = values[index]
                values[index] = bad
                #expect(!values.withUnsafeBufferPointer { FiniteValues.all($0, width: width) },
                        "\(bad) at \(index) of \(count), \(String(describing: width))")
                values[index] = kept
            }
        }
    }
}
