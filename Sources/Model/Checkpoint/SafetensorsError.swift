// SafetensorsError: everything that can be wrong with a safetensors file, each case naming the
// file and, where there is one, the tensor — what the reader and writer throw.
import Foundation

/// A safetensors file that cannot be read or written, with the file and the problem named.
public struct SafetensorsError: Error, CustomStringConvertible, Equatable {
    enum Kind: Equatable {
        case io(operation: String, code: Int32)
        case tooShort(size: Int)
        case headerTooLarge(length: UInt64, limit: Int)
        case headerBeyondFile(length: UInt64, fileSize: Int)
        case headerNotUTF8
        case headerNotJSON(String)
        case badEntry(tensor: String, problem: String)
        case badMetadata(String)
        case unsupportedDtype(tensor: String, dtype: String)
        case offsetsOutOfRange(tensor: String, begin: Int, end: Int, dataSize: Int)
        case sizeMismatch(tensor: String, shape: [Int], bytes: Int)
        case overlap(tensor: String, other: String)
        case gap(at: Int)
        case trailingBytes(used: Int, dataSize: Int)
        case endOfFile(expected: Int)
        case invalidTensor(tensor: String, problem: String)
    }

    let kind: Kind
    /// The file involved (as given to the reader or writer).
    public let file: String

    init(_ kind: Kind, file: String) {
        self.kind = kind
        self.file = file
    }

    /// The tensor involved, or nil when the problem is with the file or its header as a whole.
    public var tensor: String? {
        switch kind {
        case .badEntry(let t, _), .unsupportedDtype(let t, _), .offsetsOutOfRange(let t, _, _, _),
             .sizeMismatch(let t, _, _), .overlap(let t, _), .invalidTensor(let t, _): t
        default: nil
        }
    }

    /// What is wrong, without the file name.
    public var problem: String {
        switch kind {
        case .io(let operation, let code):
            "cannot \(operation): \(String(cString: strerror(code)))"
        case .tooShort(let size):
            "file is \(size) bytes, too short to hold the 8-byte header length (is it truncated?)"
        case .headerTooLarge(let length, let limit):
            "header length \(length) bytes exceeds the limit of \(limit) bytes (corrupt header length?)"
        case .headerBeyondFile(let length, let fileSize):
            "header length \(length) bytes reaches past the end of the \(fileSize)-byte file (truncated or corrupt?)"
        case .headerNotUTF8:
            "header is not valid UTF-8"
        case .headerNotJSON(let detail):
            "header is not a JSON object: \(detail)"
        case .badEntry(let tensor, let problem):
            "header entry '\(tensor)' \(problem)"
        case .badMetadata(let problem):
            "header __metadata__ \(problem)"
        case .unsupportedDtype(let tensor, let dtype):
            "tensor '\(tensor)' has dtype \(dtype), which is not supported here (parameters are F32; only counters are I64)"
        case .offsetsOutOfRange(let tensor, let begin, let end, let dataSize):
            "tensor '\(tensor)' data_offsets [\(begin), \(end)] lie outside the \(dataSize)-byte data section"
                + " (truncated file or corrupt header?)"
        case .sizeMismatch(let tensor, let shape, let bytes):
            "tensor '\(tensor)' has shape \(shape) but its data_offsets span \(bytes) bytes"
        case .overlap(let tensor, let other):
            "tensor '\(tensor)' data overlaps tensor '\(other)'"
        case .gap(let at):
            "data section has a gap at byte \(at) not covered by any tensor"
        case .trailingBytes(let used, let dataSize):
            "data section is \(dataSize) bytes but the tensors cover only \(used) (trailing bytes or corrupt header?)"
        case .endOfFile(let expected):
            "file ended early: expected \(expected) more bytes (was it truncated while being read?)"
        case .invalidTensor(let tensor, let problem):
            "cannot write tensor '\(tensor)': \(problem)"
        }
    }

    public var description: String { "\(file): \(problem)" }
}
