// Sequential: a chain of layers over one flat parameter buffer and one flat gradient buffer.
// It builds the layout table from the layers' requests, initialises, and runs both passes.

/// A feed-forward network: layers applied in order, parameters in one `ParameterStore`.
public final class Sequential {
    /// The layers, first to last.
    public let layers: [Layer]
    /// Parameters and gradients of every layer, with the named layout table.
    public let store: ParameterStore
    /// For each layer, the elements of the flat buffers holding its parameters (empty for
    /// layers without any). Consecutive layers hold consecutive ranges.
    public let parameterRanges: [Range<Int>]

    /// The parameter layout `layers` ask for, in order ("fc1.weight" and its shape ...).
    public static func layout(of layers: [Layer]) -> [(name: String, shape: [Int])] {
        layers.flatMap { layer in layer.parameterRequests.map { ("\(layer.name).\($0.name)", $0.shape) } }
    }

    /// Builds the network and its flat buffers (in `storage` when given: see
    /// `ParameterStore.init(layout:storage:)`); parameters are initialised from `seed`.
    public init(layers: [Layer], seed: UInt64, storage: ParameterStore.Storage? = nil) {
        precondition(!layers.isEmpty, "a network needs at least one layer")
        for (a, b) in zip(layers, layers.dropFirst()) {
            precondition(elementCount(a.outputShape) == elementCount(b.inputShape),
                         "\(a.name) outputs \(a.outputShape) but \(b.name) takes \(b.inputShape)")
        }
        self.layers = layers
        firstParameterised = layers.firstIndex { !$0.parameterRequests.isEmpty } ?? layers.count
        store = ParameterStore(layout: Self.layout(of: layers), storage: storage)
        var entryIndex = 0
        var ranges: [Range<Int>] = []
        for layer in layers {
            let requests = layer.parameterRequests
            let start = entryIndex < store.entries.count ? store.entries[entryIndex].offset : store.count
            ranges.append(start..<(start + requests.reduce(0) { $0 + elementCount($1.shape) }))
            var views: [ParameterView] = []
            for request in requests {
                let view = store.view(store.entries[entryIndex])
                var rng = CounterRNG(seed: seed, stream: .initialization, UInt64(entryIndex))
                request.initializer.fill(view.value, rng: &rng)
                views.append(view)
                entryIndex += 1
            }
            layer.bind(views)
        }
        // Tied layers use an earlier embedding's table (one tensor, gradients added together).
        for case let tied as TiedOutput in layers {
            guard let embedding = layers.first(where: { $0.name == tied.embeddingName }) as? Embedding,
                  let view = store.view(tied.embeddingName + ".weight") else {
                preconditionFailure("\(tied.name): no embedding layer named \(tied.embeddingName)")
            }
            embedding.gradientIsShared = true
            tied.tie(to: view)
        }
        parameterRanges = ranges
    }

    /// Index of the first layer with parameters (fixed at init: backward runs every step).
    private let firstParameterised: Int

    /// Per-sample input shape.
    public var inputShape: [Int] { layers[0].inputShape }
    /// Per-sample output width (logits or regression outputs).
    public var outputWidth: Int { elementCount(layers[layers.count - 1].outputShape) }
    /// Number of values in one input sample.
    public var inputWidth: Int { elementCount(inputShape) }

    /// Runs every layer; returns the last layer's output `[batch, outputWidth]`.
    public func forward(_ input: UnsafePointer<Float>, batch: Int, context: ForwardContext) -> UnsafeMutablePointer<Float> {
        var x = input
        var y: UnsafeMutablePointer<Float>! = nil
        for layer in layers {
            y = layer.forward(x, batch: batch, context: context)
            x = UnsafePointer(y)
        }
        return y
    }

    /// Backpropagates dLoss/dOutput through every layer, writing (`accumulate == false`) or
    /// adding to the gradient buffer. Input gradients are not computed below the first layer
    /// that has parameters (nothing there needs them).
    /// `onLayerDone` is told each layer's index once its parameter gradients are final,
    /// last layer first (for overlapping gradient communication with the backward pass).
    public func backward(_ outputGradient: UnsafePointer<Float>, batch: Int, accumulate: Bool,
                         onLayerDone: ((Int) -> Void)? = nil) {
        var g = outputGradient
        let first = firstParameterised
        for index in layers.indices.reversed() {
            // Below the first layer with parameters nothing needs a gradient.
            if index >= first {
                let result = layers[index].backward(g, batch: batch, accumulate: accumulate, needInputGradient: index > first)
                if let result { g = UnsafePointer(result) }
            }
            onLayerDone?(index)
        }
    }

    /// Every sgemm call of one training step at `batch` samples, in backward-pass order
    /// (input gradients skipped where `backward` skips them).
    public func matrixProducts(batch: Int) -> [MatrixProduct] {
        layers.indices.flatMap { layers[$0].matrixProducts(batch: batch, needInputGradient: $0 > firstParameterised) }
    }

    /// Floating-point operations of the matrix products of one training step, per sample.
    public var trainingFlopsPerSample: Double {
        Double(matrixProducts(batch: 128).reduce(0) { $0 + $1.flops }) / 128
    }
}
