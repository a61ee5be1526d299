// LayerBuffers: state a layer keeps that is not trained (batch norm's running statistics), how a
// network lists it for checkpoints, and the cross-rank sum such layers are handed by the Worker.

/// A named, non-trained tensor a layer owns (saved in checkpoints beside the parameters, never
/// in the gradient buffer). Its memory belongs to the layer and stays put for the layer's life.
public struct ModelBuffer {
    /// The memory holding the values.
    public enum Storage {
        /// 32-bit floats (safetensors F32).
        case float(UnsafeMutableBufferPointer<Float>)
        /// One 64-bit integer (safetensors I64, shape `[]`).
        case int64(UnsafeMutablePointer<Int64>)
    }

    /// Full tensor name, e.g. `bn1.running_mean` (PyTorch's names).
    public var name: String
    /// Shape, row-major; `[]` for a scalar.
    public var shape: [Int]
    /// Where the values live.
    public var storage: Storage

    public init(name: String, shape: [Int], storage: Storage) {
        (self.name, self.shape, self.storage) = (name, shape, storage)
    }

    /// Number of values (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }

    /// How the values are stored in safetensors files.
    public var dtype: SafetensorsDType {
        switch storage {
        case .float: return .f32
        case .int64: return .i64
        }
    }
}

/// A layer with non-trained state of its own.
public protocol HoldsBuffers: Layer {
    /// Its buffers, in a fixed order.
    var buffers: [ModelBuffer] { get }
}

/// Sums a small buffer element-wise across every rank, in place (the identity on one rank).
public typealias CrossRankSum = (UnsafeMutableBufferPointer<Float>) throws -> Void

/// The cross-rank sum shared by a network's synchronised layers. Forward and backward passes
/// cannot throw, so the first failure is kept (later sums are skipped) and thrown by
/// `Sequential.throwCrossRankFailure()` once the pass is over.
final class CrossRankReduction {
    private let body: CrossRankSum
    private(set) var failure: (any Error)?

    init(_ body: @escaping CrossRankSum) { self.body = body }

    /// Sums `buffer` across ranks unless an earlier sum failed.
    func sum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard failure == nil else { return }
        do { try body(buffer) } catch { failure = error }
    }

    /// Throws the kept failure once, then forgets it.
    func throwFailure() throws {
        guard let error = failure else { return }
        failure = nil
        throw error
    }
}

extension Sequential {
    /// Every layer, nested blocks' layers included, in forward order.
    public var allLayers: [Layer] {
        func flatten(_ layers: [Layer]) -> [Layer] {
            layers.flatMap { layer -> [Layer] in
                if let block = layer as? Residual { return [layer] + flatten(block.layers) }
                return [layer]
            }
        }
        return flatten(layers)
    }

    /// Every non-trained buffer of the network (batch norm's running statistics), in layer order.
    public var buffers: [ModelBuffer] {
        allLayers.compactMap { $0 as? HoldsBuffers }.flatMap(\.buffers)
    }

    /// The batch-norm layers, outermost first.
    public var batchNormLayers: [BatchNorm] { allLayers.compactMap { $0 as? BatchNorm } }

    /// Hands every batch-norm layer `sum` for its global-batch statistics (nil: per-rank batch
    /// statistics, right for one rank). Every rank must install one alike: the sums are
    /// collective calls made in the same order on every rank.
    public func installCrossRankSum(_ sum: CrossRankSum?) {
        let reduction = sum.map(CrossRankReduction.init)
        for layer in batchNormLayers { layer.reduction = reduction }
    }

    /// Throws (once) the error a cross-rank sum raised during the last passes, if any. Call after
    /// each training step's backward pass.
    public func throwCrossRankFailure() throws {
        try batchNormLayers.first?.reduction?.throwFailure()
    }
}
