// TextSampler tests: how the next byte is chosen — temperature 0 and tiny temperatures take the
// most likely byte, top-k keeps only the k most likely, temperature 1 follows the softmax.
import Foundation
import Testing
@testable import Coordinator

private let logits: [Double] = (0..<256).map { Double(($0 * 37) % 256) / 10 }   // distinct values (37 is coprime to 256)

private var argmax: Int { logits.indices.max { logits[$0] < logits[$1] }! }

@Test("temperature 0, a tiny temperature and top-k 1 all take the most likely byte")
func greedyChoices() {
    for u in stride(from: 0.0, to: 1.0, by: 0.05) {
        #expect(TextSampler.choose(logits, temperature: 0, topK: 0, uniform: u) == argmax)
        #expect(TextSampler.choose(logits, temperature: 1e-6, topK: 0, uniform: u) == argmax)
        #expect(TextSampler.choose(logits, temperature: 5, topK: 1, uniform: u) == argmax)
    }
    #expect(TextSampler.choose([1, 3, 3, 2], temperature: 0, topK: 0, uniform: 0.5) == 1, "ties go to the lower byte")
}

@Test("top-k draws only among the k most likely bytes")
func topKLimits() {
    let top3 = Set(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(3))
    var seen = Set<Int>()
    for i in 0..<1000 { seen.insert(TextSampler.choose(logits, temperature: 10, topK: 3, uniform: (Double(i) + 0.5) / 1000)) }
    #expect(seen == top3)
}

@Test("temperature 1 draws each byte with its softmax probability")
func softmaxFrequencies() {
    let small: [Double] = [0, 1, 2, -1]
    let weights = small.map(exp)
    let total = weights.reduce(0, +)
    var counts = [0, 0, 0, 0]
    let n = 10_000
    for i in 0..<n { counts[TextSampler.choose(small, temperature: 1, topK: 0, uniform: (Double(i) + 0.5) / Double(n))] += 1 }
    for b in 0..<4 {
        // Evenly spaced uniforms give each byte its share to within one draw.
        #expect(abs(Double(counts[b]) - Double(n) * weights[b] / total) <= 1.0, "\(counts)")
    }
}

@Test("options out of range are refused naming the option", arguments: [
    (SamplingOptions(tokens: -1), "--tokens"), (SamplingOptions(temperature: -0.5), "--temperature"),
    (SamplingOptions(temperature: .nan), "--temperature"), (SamplingOptions(topK: 257), "--top-k"),
])
func badOptions(options: SamplingOptions, name: String) {
    #expect { try options.check() } throws: { ($0 as? SampleError)?.description.contains(name) == true }
}
