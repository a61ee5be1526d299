// ParameterStore: every trainable parameter in one flat buffer, gradients in a second one,
// and the named layout table ("fc1.weight [512, 784] @ 0") that maps names to slices of both.

/// One named tensor inside the flat buffers.
public struct ParameterEntry: Sendable, Equatable {
    /// Full name, e.g. `fc1.weight`.
    public var name: String
    /// Shape, row-major, e.g. `[512, 784]` for a Dense weight (out, in).
    public var shape: [Int]
    /// Offset of the first element in the flat buffers.
    public var offset: Int
    /// Number of elements (product of `shape`).
    public var count: Int { shape.reduce(1, *) }
}

/// The slice of the parameter and gradient buffers that one tensor owns.
public struct ParameterView {
    /// The tensor's entry in the layout table.
    public let entry: ParameterEntry
    /// Its values.
    public let value: UnsafeMutableBufferPointer<Float>
    /// Its gradient (same length).
    public let gradient: UnsafeMutableBufferPointer<Float>
}

/// Flat parameter and gradient storage with a layout table.
///
/// Layers register tensors at model build time; afterwards the buffers never move, so the
/// views handed to layers stay valid for the store's lifetime.
public final class ParameterStore {
    /// The layout table, in registration order.
    public private(set) var entries: [ParameterEntry] = []
    /// All parameters, contiguous. A spare element follows the last one.
    public let parameters: FloatBuffer
    /// All gradients, contiguous, same layout as `parameters`. A spare element follows the last one.
    public let gradients: FloatBuffer

    /// Memory for the two buffers that the store does not allocate itself: `parameters` and
    /// `gradients` each hold `elements` floats (the parameters and the spare element), kept alive
    /// by `owner` (e.g. memory every rank of a host maps, so collectives read it in place).
    public struct Storage {
        public var parameters: UnsafeMutablePointer<Float>
        public var gradients: UnsafeMutablePointer<Float>
        public var elements: Int
        public var owner: AnyObject
        public init(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>, elements: Int, owner: AnyObject) {
            (self.parameters, self.gradients, self.elements, self.owner) = (parameters, gradients, elements, owner)
        }
    }

    /// The elements a store of `layout` keeps in each buffer: every parameter and the spare.
    public static func elements(layout: [(name: String, shape: [Int])]) -> Int {
        layout.reduce(1) { $0 + $1.shape.reduce(1, *) }
    }

    /// Creates a store for the given layout (names must be unique), in `storage` when given
    /// (it must hold `elements(layout:)` floats per buffer, zeroed), else in memory of its own.
    public init(layout: [(name: String, shape: [Int])], storage: Storage? = nil) {
        var offset = 0
        var seen = Set<String>()
        for item in layout {
            precondition(seen.insert(item.name).inserted, "duplicate parameter name \(item.name)")
            let entry = ParameterEntry(name: item.name, shape: item.shape, offset: offset)
            entries.append(entry)
            offset += entry.count
        }
        // One spare element after each buffer: a control value the gradient exchange sends along.
        if let storage {
            precondition(storage.elements == offset + 1, "storage for \(storage.elements) elements, the layout needs \(offset + 1)")
            parameters = FloatBuffer(borrowing: storage.parameters, count: offset + 1, owner: storage.owner)
            gradients = FloatBuffer(borrowing: storage.gradients, count: offset + 1, owner: storage.owner)
        } else {
            parameters = FloatBuffer(count: offset + 1)
            gradients = FloatBuffer(count: offset + 1)
        }
        parameters.resize(offset)
        gradients.resize(offset)
    }

    /// Total number of scalar parameters.
    public var count: Int { parameters.count }

    /// The view of the tensor called `name`, or nil.
    public func view(_ name: String) -> ParameterView? {
        guard let entry = entries.first(where: { $0.name == name }) else { return nil }
        return view(entry)
    }

    /// The view of a layout entry.
    public func view(_ entry: ParameterEntry) -> ParameterView {
        ParameterView(
            entry: entry,
            value: UnsafeMutableBufferPointer(start: parameters.pointer + entry.offset, count: entry.count),
            gradient: UnsafeMutableBufferPointer(start: gradients.pointer + entry.offset, count: entry.count))
    }

    /// The layout table as printable lines, e.g. `fc1.weight [512, 784] @ 0`.
    public var layoutDescription: [String] {
        entries.map { "\($0.name) \($0.shape) @ \($0.offset)" }
    }
}
