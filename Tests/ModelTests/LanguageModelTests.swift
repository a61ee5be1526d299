// Language-model pieces: the per-token loss against a hand computation, the output layer tied to
// the token embedding (finite-difference gradients, one tensor), and the model checks for them.
import Foundation
import Testing
@testable import Model

@Suite("Language model")
struct LanguageModelTests {
    @Test("the loss is softmax cross-entropy averaged over every token of the batch")
    func perTokenLoss() {
        let task = LearningTask.languageModel(vocab: 3, context: 2)
        #expect(task.outputShape == [2, 3] && task.targetWidth == 2 && task.predictionsPerSample == 2)
        // Two samples of two positions, three logits each.
        let logits: [Float] = [1, 2, 0,   0, 0, Float(log(3.0)),
                               0, 0, 0,   5, 1, 1]
        let targets: [Float] = [1, 2,   0, 1]
        // −log softmax by hand: row 1: log(e + e² + 1) − 2; row 2: log 5 − log 3; row 3: log 3; row 4: log(e⁵ + 2e) − 1.
        let e = M_E
        let rows = [log(e + e * e + 1) - 2, log(5.0) - log(3.0), log(3.0), log(pow(e, 5) + 2 * e) - 1]
        let expected = rows.reduce(0, +) / 4
        var gradient = [Float](repeating: 0, count: 12)
        let rowsPerSample = task.predictionsPerSample
        let loss = logits.withUnsafeBufferPointer { z in
            targets.withUnsafeBufferPointer { t in
                gradient.withUnsafeMutableBufferPointer { g in
                    LossKind.crossEntropy.evaluate(outputs: z.baseAddress!, targets: t.baseAddress!, targetCount: t.count, batch: 2 * rowsPerSample,
                                                   width: task.outputCount / rowsPerSample, gradient: g.baseAddress!)
                }
            }
        }
        #expect(abs(loss - expected) < 1e-6, "loss \(loss), by hand \(expected)")
        // dLoss/dz = (softmax − one-hot) / 4 tokens: row 2 by hand.
        let p = [1.0 / 5, 1.0 / 5, 3.0 / 5]
        for j in 0..<3 {
            let want = (p[j] - (j == 2 ? 1 : 0)) / 4
            #expect(abs(Double(gradient[3 + j]) - want) < 1e-6, "gradient[\(3 + j)] \(gradient[3 + j]) vs \(want)")
        }
    }

    /// Embedding → LayerNorm → output tied to the embedding, on token ids.
    static func tiedNetwork() -> (Sequential, Embedding) {
        let embedding = Embedding(name: "wte", vocab: 5, dim: 3, positions: 4, initializer: .normal(std: 0.5))
        let network = Sequential(layers: [
            embedding,
            LayerNorm(name: "lnf", inputShape: [4, 3]),
            TiedOutput(name: "head", embeddingName: "wte", inputShape: [4, 3], vocab: 5),
        ], seed: 3)
        return (network, embedding)
    }

    @Test("the tied output's gradient adds into the embedding's (finite differences); one tensor in the table")
    func tiedGradient() {
        let (network, _) = Self.tiedNetwork()
        #expect(network.store.entries.map(\.name) == ["wte.weight", "lnf.weight", "lnf.bias"])
        // LayerNorm starts at weight 1, bias 0; move them so every path matters.
        var rng = CounterRNG(seed: 5, stream: .test)
        let theta = network.store.parameters.pointer
        for i in 15..<network.store.count { theta[i] = rng.nextUniform() * 2 - 0.5 }
        let batch = 2
        let ids: [Float] = [0, 3, 3, 1,   4, 2, 0, 0]
        let r = (0..<batch * 4 * 5).map { _ in rng.nextUniform() * 2 - 1 }
        func f() -> Double {
            ids.withUnsafeBufferPointer { x in
                let y = network.forward(x.baseAddress!, batch: batch, context: ForwardContext())
                return r.indices.reduce(0.0) { $0 + Double(y[$1]) * Double(r[$1]) }
            }
        }
        func backward(accumulate: Bool) {
            _ = f()
            r.withUnsafeBufferPointer { network.backward($0.baseAddress!, batch: batch, accumulate: accumulate) }
        }
        backward(accumulate: false)
        let analytic = network.store.gradients.array
        let eps: Float = 1e-3
        for i in 0..<network.store.count {
            let saved = theta[i]
            theta[i] = saved + eps; let plus = f()
            theta[i] = saved - eps; let minus = f()
            theta[i] = saved
            let numeric = (plus - minus) / Double(2 * eps)
            #expect(abs(numeric - Double(analytic[i])) <= 2e-3 + 2e-2 * max(abs(numeric), abs(Double(analytic[i]))),
                    "dθ[\(i)] analytic \(analytic[i]) numeric \(numeric)")
        }
        // Both uses of the table reach its gradient: row 1 is a looked-up id *and* a logit column.
        #expect((3..<6).contains { analytic[$0] != 0 })
        // A second pass with accumulate doubles it; without, it starts again (the tied layer
        // writes first, the embedding adds).
        backward(accumulate: true)
        #expect(zip(analytic, network.store.gradients.array).allSatisfy { abs(2 * $0 - $1) <= 1e-5 * max(1, abs($1)) })
        backward(accumulate: false)
        #expect(zip(analytic, network.store.gradients.array).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
    }

    @Test("declared: {type: dense, tied_to: wte} builds a bias-free layer on the embedding's table")
    func declaredTiedOutput() throws {
        var spec = ModelSpec(kind: .layers)
        spec.layers = [LayerSpec(.embedding(vocab: 256, dim: 8), name: "wte"), LayerSpec(.positionEmbedding, name: "wpe"),
                       LayerSpec(.transformerBlock(heads: 2, mlp: 16, causal: true, activation: .gelu_tanh), name: "blocks.0"),
                       LayerSpec(.layerNorm, name: "lnf"), LayerSpec(.tiedDense(embedding: "wte"), name: "lm_head")]
        let network = try spec.build(sampleShape: [6], task: .languageModel(vocab: 256, context: 6), seed: 1)
        let names = network.store.entries.map(\.name)
        #expect(names.filter { $0.hasPrefix("wte") } == ["wte.weight"])
        #expect(!names.contains { $0.hasPrefix("lm_head") })
        #expect(network.store.entries.first { $0.name == "blocks.0.qkv.weight" }?.shape == [24, 8])
        #expect(network.store.entries.first { $0.name == "blocks.0.fc.weight" }?.shape == [16, 8])
        #expect(network.store.entries.first { $0.name == "blocks.0.out.weight" }?.shape == [8, 16])
        #expect(network.outputWidth == 6 * 256)
    }

    @Test("declared: rms_norm in the blocks (norm: rms_norm) and as the final norm: weight-only tensors, same names")
    func declaredRMSNormModel() throws {
        var spec = ModelSpec(kind: .layers)
        spec.layers = [LayerSpec(.embedding(vocab: 256, dim: 8), name: "wte"), LayerSpec(.positionEmbedding, name: "wpe"),
                       LayerSpec(.transformerBlock(heads: 2, mlp: 16, causal: true, activation: .silu, rmsNorm: true), name: "blocks.0"),
                       LayerSpec(.rmsNorm(), name: "lnf"), LayerSpec(.tiedDense(embedding: "wte"), name: "lm_head")]
        let network = try spec.build(sampleShape: [6], task: .languageModel(vocab: 256, context: 6), seed: 1)
        let norms = network.store.entries.filter { $0.name.contains("ln") }.map { "\($0.name)\($0.shape)" }
        #expect(norms == ["blocks.0.ln1.weight[8]", "blocks.0.ln2.weight[8]", "lnf.weight[8]"])
        #expect(network.outputWidth == 6 * 256)
    }

    @Test("model mistakes: a tie to no embedding, a second tie, a wrong width, and a last layer of the wrong shape")
    func modelMistakes() throws {
        func error(_ layers: [LayerSpec], task: LearningTask = .languageModel(vocab: 256, context: 6)) -> String {
            var spec = ModelSpec(kind: .layers)
            spec.layers = layers
            do { _ = try spec.layers(sampleShape: [6], task: task); return "" } catch { return "\(error)" }
        }
        let wte = LayerSpec(.embedding(vocab: 256, dim: 8), name: "wte")
        let unknown = error([wte, LayerSpec(.tiedDense(embedding: "tok"))])
        #expect(unknown.contains("model.layers[1].tied_to") && unknown.contains("'tok'") && unknown.contains("wte"), "\(unknown)")
        let width = error([wte, LayerSpec(.dense(units: 4, init: nil)), LayerSpec(.tiedDense(embedding: "wte"))])
        #expect(width.contains("model.layers[2]") && width.contains("width 8"), "\(width)")
        let nested = error([LayerSpec(.embedding(vocab: 8, dim: 8), name: "wte"),
                            LayerSpec(.residual([LayerSpec(.tiedDense(embedding: "wte"))]))], task: .regression(outputs: 48))
        #expect(nested.contains("model.layers[1].layers[0]") && nested.contains("top-level"), "\(nested)")
        let twice = error([wte, LayerSpec(.tiedDense(embedding: "wte")), LayerSpec(.dense(units: 8, init: nil)),
                           LayerSpec(.tiedDense(embedding: "wte"))])
        #expect(twice.contains("model.layers[3].tied_to") && twice.contains("already tied to model.layers[1]"), "\(twice)")
        let shape = error([wte, LayerSpec(.flatten), LayerSpec(.dense(units: 256, init: nil))])
        #expect(shape.contains("[6, 256]") && shape.contains("tied_to"), "\(shape)")
    }

    @Test("text ids are checked against the embedding's vocabulary from the largest byte alone")
    func textIDsAgainstVocabulary() {
        let bytes: [UInt8] = Array("abcabcabc~".utf8)
        let data = Dataset(text: TextWindows(bytes: bytes, context: 3, stride: 1))
        #expect(Embedding(name: "wte", vocab: 256, dim: 2, positions: 3).firstInvalidID(in: data) == nil)
        // Vocabulary 98 takes 'a' (97) but not 'b' (98), first at byte 1: the window starting there.
        let bad = Embedding(name: "wte", vocab: 98, dim: 2, positions: 3).firstInvalidID(in: data)
        #expect(bad?.value == Float(UInt8(ascii: "b")) && bad?.sample == 1 && bad?.position == 0)
    }
}
