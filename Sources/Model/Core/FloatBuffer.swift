// FloatBuffer: an owned, growable block of Float memory for activations and scratch space.
// Layers keep one per output and per input gradient, resized only when the batch size changes.

/// A manually managed Float buffer. Growing reallocates (contents are not kept); shrinking
/// keeps the memory. Access goes through raw pointers, so hot loops pay no bounds or
/// copy-on-write checks.
public final class FloatBuffer {
    /// Start of the memory (valid for `capacity` elements).
    public private(set) var pointer: UnsafeMutablePointer<Float>
    /// Number of elements in use.
    public private(set) var count: Int
    private var capacity: Int
    /// What keeps borrowed memory alive (`init(borrowing:count:owner:)`); nil when the buffer owns it.
    private let owner: AnyObject?

    /// Creates a buffer of `count` zeros.
    public init(count: Int = 0) {
        capacity = max(count, 1)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
        self.count = count
        owner = nil
    }

    /// A buffer over `count` elements of memory someone else allocated (for example memory other
    /// processes map), kept alive by holding `owner`. It cannot grow past `count`.
    public init(borrowing memory: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        pointer = memory
        capacity = count
        self.count = count
        self.owner = owner
    }

    /// Creates a buffer holding a copy of `values`.
    public convenience init(values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { if let base = $0.baseAddress { pointer.update(from: base, count: values.count) } }
    }

    deinit { if owner == nil { pointer.deallocate() } }

    /// Makes room for `newCount` elements; new memory is zero-filled. Borrowed memory cannot grow.
    public func resize(_ newCount: Int) {
        if newCount > capacity {
            precondition(owner == nil, "a buffer over borrowed memory cannot grow past \(capacity) elements")
            pointer.deallocate()
            capacity = newCount
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
        }
        count = newCount
    }

    /// The elements in use as a buffer pointer.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// Sets every element in use to `value`.
    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    /// A copy of the elements in use.
    public var array: [Float] { Array(buffer) }
}
