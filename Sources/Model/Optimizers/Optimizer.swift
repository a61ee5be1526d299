// Optimizer: the protocol every optimizer implements (one in-place update over the flat
// buffers, plus named state tensors for checkpoints) and the error a bad restore throws.

/// An optimizer that updates the flat parameter buffer in place from the flat gradient buffer.
///
/// Implementations allocate their state once, at creation (or when `restoreState` moves it to
/// another range), and nothing per step. The state may cover only part of the parameters
/// (`stateRange`): a rank's shard when ranks split the update, so each keeps 1/N of it.
public protocol Optimizer: AnyObject {
    /// Applies one update in place to the elements in `range`, leaving the others (and their
    /// state) untouched: all of them, or a rank's shard when ranks split the update. Counts as
    /// one step either way. `gradients` may be modified (penalties added).
    ///
    /// Both buffers must hold exactly the `parameterCount` the optimizer was made for, and
    /// `range` must lie within `stateRange`.
    /// `learningRate` is the rate for this step (from the schedule), not the spec's base rate.
    func step(
        parameters: UnsafeMutableBufferPointer<Float>,
        gradients: UnsafeMutableBufferPointer<Float>,
        learningRate: Float,
        range: Range<Int>)
    /// Number of updates applied so far (0 for a fresh optimizer).
    var stepCount: Int { get }
    /// The elements whose state this optimizer keeps: every parameter, or one rank's shard.
    var stateRange: Range<Int> { get }
    /// Names of the state tensors, e.g. ["momentum"], ["exp_avg", "exp_avg_sq"]; plain SGD
    /// (momentum 0) has none.
    var stateNames: [String] { get }
    /// Calls `body` with the state tensors in place (no copy), in `stateNames` order, each
    /// `stateRange.count` long (element k belongs to parameter `stateRange.lowerBound + k`).
    func withStateBuffers<R>(_ body: ([UnsafeBufferPointer<Float>]) throws -> R) rethrows -> R
    /// Replaces the state with `tensors`, each `range.count` long and covering the parameters in
    /// `range`, which becomes `stateRange`. Throws `OptimizerStateError` if a tensor is missing,
    /// unexpected, or of the wrong length, or `stepCount` is negative; on error the current state
    /// is left unchanged. `range` must lie within the parameters.
    func restoreState(tensors: [String: [Float]], stepCount: Int, covering range: Range<Int>) throws
}

extension Optimizer {
    /// Applies one update to every element (see `step(parameters:gradients:learningRate:range:)`).
    public func step(
        parameters: UnsafeMutableBufferPointer<Float>,
        gradients: UnsafeMutableBufferPointer<Float>,
        learningRate: Float
    ) {
        step(parameters: parameters, gradients: gradients, learningRate: learningRate, range: 0..<parameters.count)
    }

    /// A copy of the state tensors for checkpoints, in `stateNames` order, each
    /// `stateRange.count` long (see `withStateBuffers`) — plus stepCount.
    public func stateTensors() -> [(name: String, values: [Float])] {
        withStateBuffers { buffers in zip(stateNames, buffers).map { (name: $0, values: Array($1)) } }
    }

    /// Replaces the state over the current `stateRange` (see `restoreState(tensors:stepCount:covering:)`).
    public func restoreState(tensors: [String: [Float]], stepCount: Int) throws {
        try restoreState(tensors: tensors, stepCount: stepCount, covering: stateRange)
    }
}

/// Stops with a clear message unless both buffers hold `count` values and `range` lies within
/// them and within the state's range.
@inline(__always)
func checkStepArguments(_ optimizer: String, parameters: UnsafeMutableBufferPointer<Float>,
                        gradients: UnsafeMutableBufferPointer<Float>, range: Range<Int>, count: Int, stateRange: Range<Int>) {
    precondition(parameters.count == count && gradients.count == count,
                 "\(optimizer) step: buffers hold \(parameters.count)/\(gradients.count) values, expected \(count)")
    precondition(range.lowerBound >= 0 && range.upperBound <= count, "\(optimizer) step: range \(range) outside 0..<\(count)")
    precondition(range.isEmpty || (range.lowerBound >= stateRange.lowerBound && range.upperBound <= stateRange.upperBound),
                 "\(optimizer) step: range \(range) outside the state's \(stateRange)")
}

/// Stops with a clear message unless `range` lies within `count` parameters.
func checkStateRange(_ range: Range<Int>, count: Int) {
    precondition(range.lowerBound >= 0 && range.upperBound <= count, "state range \(range) outside 0..<\(count)")
}

/// A checkpoint's optimizer state that does not fit this optimizer.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable {
    private enum Kind: Equatable {
        case missing(String)
        case unexpected(String)
        case wrongLength(String, expected: Int, found: Int)
        case negativeStepCount(Int)
    }

    private let kind: Kind
    private let optimizer: String

    static func missing(_ name: String, optimizer: String) -> Self {
        Self(kind: .missing(name), optimizer: optimizer)
    }
    static func unexpected(_ name: String, optimizer: String) -> Self {
        Self(kind: .unexpected(name), optimizer: optimizer)
    }
    static func wrongLength(_ name: String, expected: Int, found: Int, optimizer: String) -> Self {
        Self(kind: .wrongLength(name, expected: expected, found: found), optimizer: optimizer)
    }
    static func negativeStepCount(_ value: Int, optimizer: String) -> Self {
        Self(kind: .negativeStepCount(value), optimizer: optimizer)
    }

    /// The state tensor involved, or nil for a bad step count.
    public var tensorName: String? {
        switch kind {
        case .missing(let n), .unexpected(let n), .wrongLength(let n, _, _): n
        case .negativeStepCount: nil
        }
    }

    public var description: String {
        switch kind {
        case .missing(let name):
            "\(optimizer) state: tensor '\(name)' is missing from the checkpoint"
                + " (hint: was it saved by a different optimizer or momentum setting?)"
        case .unexpected(let name):
            "\(optimizer) state: the checkpoint has tensor '\(name)', which this optimizer does not use"
                + " (hint: was it saved by a different optimizer or momentum setting?)"
        case .wrongLength(let name, let expected, let found):
            "\(optimizer) state: tensor '\(name)' has \(found) values, expected \(expected)"
                + " (hint: the model's parameter count changed since the checkpoint)"
        case .negativeStepCount(let value):
            "\(optimizer) state: step count must be ≥ 0, got \(value)"
        }
    }
}

/// Checks that `tensors` holds exactly `names`, each `count` long; throws the first mismatch.
func validateState(
    _ tensors: [String: [Float]], names: [String], count: Int, stepCount: Int, optimizer: String
) throws {
    guard stepCount >= 0 else { throw OptimizerStateError.negativeStepCount(stepCount, optimizer: optimizer) }
    for name in names {
        guard let values = tensors[name] else { throw OptimizerStateError.missing(name, optimizer: optimizer) }
        guard values.count == count else {
            throw OptimizerStateError.wrongLength(name, expected: count, found: values.count, optimizer: optimizer)
        }
    }
    if let extra = tensors.keys.sorted().first(where: { !names.contains($0) }) {
        throw OptimizerStateError.unexpected(extra, optimizer: optimizer)
    }
}

/// `buffer` holding a copy of `values` when it has room for exactly as many (no allocation),
/// else a new buffer of their size, so state moved to a smaller range frees its memory.
func holding(_ values: [Float], reusing buffer: FloatBuffer) -> FloatBuffer {
    guard buffer.count == values.count else { return FloatBuffer(values: values) }
    values.withUnsafeBufferPointer { if let base = $0.baseAddress { buffer.pointer.update(from: base, count: values.count) } }
    return buffer
}

/// sign(x) as PyTorch defines it: -1, 0 or 1 (0 for ±0; NaN stays NaN).
@inline(__always)
func penaltySign(_ x: Float) -> Float {
    x > 0 ? 1 : (x < 0 ? -1 : x)
}
