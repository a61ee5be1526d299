// SafetensorsWriter: writes F32 (and scalar-state I64) tensors in the safetensors layout (8-byte
// little-endian header length, space-padded JSON header, raw little-endian data), from memory.
import Foundation

/// The element types this project reads and writes.
public enum SafetensorsDType: String, Sendable, Equatable {
    /// 32-bit float: parameters, optimizer state, running statistics.
    case f32 = "F32"
    /// 64-bit signed integer: counters such as batch norm's `num_batches_tracked`.
    case i64 = "I64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32: return 4
        case .i64: return 8
        }
    }
}

/// One tensor to write: its name, shape, element type, and the memory holding its values (not
/// copied).
public struct SafetensorsSource {
    /// Tensor name, e.g. `fc1.weight`. Must be non-empty, unique, and not `__metadata__`.
    public var name: String
    /// Shape, row-major; its product must equal `count`. `[n]` for a 1-D tensor, `[]` for a scalar.
    public var shape: [Int]
    /// Element type.
    public var dtype: SafetensorsDType
    /// Number of elements.
    public var count: Int
    /// The values' bytes (native order), read while writing; they must stay valid and unchanged
    /// during the call.
    public var bytes: UnsafeRawBufferPointer

    /// An F32 tensor.
    public init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
        (self.name, self.shape, dtype, count, bytes) = (name, shape, .f32, values.count, UnsafeRawBufferPointer(values))
    }

    /// An I64 tensor.
    public init(name: String, shape: [Int], int64Values values: UnsafeBufferPointer<Int64>) {
        (self.name, self.shape, dtype, count, bytes) = (name, shape, .i64, values.count, UnsafeRawBufferPointer(values))
    }
}

/// Writes safetensors files that Python's `safetensors` and PyTorch load unchanged.
public enum SafetensorsWriter {
    /// Bytes handed to `write` (and to the observer) at a time.
    static let chunkBytes = 4 << 20

    /// Writes `tensors` (in the given order, data contiguous) and `metadata` to `path`,
    /// replacing any file there.
    ///
    /// - Parameters:
    ///   - metadata: string pairs stored under `__metadata__` (default none; omitted when empty).
    ///   - sync: fsync the file before returning (default true).
    ///   - observe: called with every byte of the file, in order (e.g. to hash it while
    ///     writing), on a second thread so it overlaps the writes; all calls have finished when
    ///     `write` returns or throws. Default nil.
    /// - Returns: the file's size in bytes.
    @discardableResult
    public static func write(
        _ tensors: [SafetensorsSource], metadata: [String: String] = [:], to path: String,
        sync: Bool = true, observe: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil
    ) throws -> Int {
        let header = try headerBytes(tensors, metadata: metadata, file: path)
        let observer = observe.map(SafetensorsObserverQueue.init)
        defer { observer?.finish() }   // the tensors' memory is only borrowed for this call
        do {
            return try DurableFile.create(path, sync: sync) { file in
                var total = 0
                func emit(_ bytes: UnsafeRawBufferPointer) throws {
                    try file.write(bytes)
                    #if _endian(big)
                    observe?(bytes)   // a reused scratch buffer: observe before it changes
                    #else
                    observer?.submit(bytes)
                    #endif
                    total += bytes.count
                }
                // The length and header are observed synchronously (they are small and local).
                var length = UInt64(header.count).littleEndian
                try withUnsafeBytes(of: &length) { try file.write($0); observe?($0) }
                try header.withUnsafeBytes { try file.write($0); observe?($0) }
                total += 8 + header.count
                #if _endian(big)
                var swapped = [UInt8](repeating: 0, count: chunkBytes)
                #endif
                for tensor in tensors {
                    var start = 0
                    let byteCount = tensor.count * tensor.dtype.size
                    while start < byteCount {
                        let slice = UnsafeRawBufferPointer(rebasing: tensor.bytes[start..<min(start + chunkBytes, byteCount)])
                        #if _endian(big)
                        let size = tensor.dtype.size
                        for i in 0..<slice.count { swapped[i] = slice[i - i % size + size - 1 - i % size] }
                        try swapped.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<slice.count])) }
                        #else
                        try emit(slice)
                        #endif
                        start += slice.count
                    }
                }
                return total
            }
        } catch let error as DurableFileError {
            throw SafetensorsError(.io(operation: error.operation, code: error.code), file: path)
        }
    }

    /// The JSON header for `tensors`, padded with spaces so the data starts at a multiple of 8.
    static func headerBytes(_ tensors: [SafetensorsSource], metadata: [String: String], file: String) throws -> [UInt8] {
        var json = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(jsonStringLiteral($0.key)):\(jsonStringLiteral($0.value))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        var seen = Set<String>()
        for tensor in tensors {
            guard !tensor.name.isEmpty, tensor.name != "__metadata__" else {
                throw SafetensorsError(.invalidTensor(tensor: tensor.name, problem: "the name is empty or reserved"), file: file)
            }
            guard seen.insert(tensor.name).inserted else {
                throw SafetensorsError(.invalidTensor(tensor: tensor.name, problem: "the name appears twice"), file: file)
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.shape.reduce(1, *) == tensor.count,
                  tensor.bytes.count >= tensor.count * tensor.dtype.size else {
                throw SafetensorsError(.invalidTensor(tensor: tensor.name, problem:
                    "shape \(tensor.shape) does not hold \(tensor.count) values"), file: file)
            }
            let end = offset + tensor.count * tensor.dtype.size
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonStringLiteral(tensor.name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        json += fields.joined(separator: ",") + "}"
        var bytes = Array(json.utf8)
        // The data section must start 8-byte aligned: 8 (length) + header is a multiple of 8.
        bytes += [UInt8](repeating: UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8)
        return bytes
    }

}
