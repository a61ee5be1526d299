// GatherTests: a batch gathered with prefetching copies exactly the rows asked for, in order —
// rows narrower and wider than the 4 KiB the prefetch reaches, rows that do not start on a cache
// line, repeated indices, the first and last rows, batches shorter than the prefetch distance —
// and `samples(at:)` gives the same rows.
import Testing
@testable import Model

@Test("a gathered batch holds exactly the rows asked for", arguments: [1, 3, 784, 1025, 3000])
private func gatherCopiesTheRowsAskedFor(width: Int) {
    let count = 37
    var rng = CounterRNG(seed: 3, stream: .test)
    let features = (0..<count * width).map { _ in rng.nextUniform() }
    let data = Dataset(features: features, targets: (0..<count).map { Float($0 % 10) }, sampleShape: [width],
                       task: .classification(classes: 10))
    for indices in [[Int](), [36], [5, 0], [0, 36, 36, 2, 17, 17, 9, 30, 1, 36, 0, 22], (0..<count).reversed().map { $0 }] {
        var x = [Float](repeating: .nan, count: indices.count * width), y = [Float](repeating: .nan, count: indices.count)
        x.withUnsafeMutableBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                data.gather(indices[...], features: xp.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!,
                            targets: yp.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
            }
        }
        let expected = indices.flatMap { features[$0 * width..<($0 + 1) * width] }
        #expect(x == expected, "width \(width), indices \(indices)")
        #expect(y == indices.map { Float($0 % 10) })
        #expect(data.samples(at: indices).features == expected)
    }
}
