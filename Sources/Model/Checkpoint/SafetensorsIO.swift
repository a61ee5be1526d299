// SafetensorsIO: the few POSIX calls the safetensors reader and writer share — whole writes,
// exact reads and fsync on a raw file descriptor, each failure turned into a SafetensorsError.
import Foundation

/// An open file descriptor that closes itself.
final class SafetensorsFileHandle {
    let fd: Int32
    let path: String

    /// Opens `path` for reading, or creates/truncates it for writing.
    init(path: String, forWriting: Bool) throws {
        self.path = path
        let flags = forWriting ? (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC) : (O_RDONLY | O_CLOEXEC)
        fd = open(path, flags, 0o644)
        guard fd >= 0 else {
            throw SafetensorsError(.io(operation: forWriting ? "create the file" : "open the file", code: errno), file: path)
        }
    }

    deinit { close(fd) }

    /// The file's size in bytes.
    func size() throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SafetensorsError(.io(operation: "stat the file", code: errno), file: path) }
        return Int(info.st_size)
    }

    /// Writes all of `bytes`, retrying short writes and EINTR.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Foundation.write(fd, next, min(left, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw SafetensorsError(.io(operation: "write", code: errno), file: path)
            }
            left -= n
            next += n
        }
    }

    /// Fills all of `bytes` from the current position; throws at end of file.
    func read(into bytes: UnsafeMutableRawBufferPointer) throws {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Foundation.read(fd, next, min(left, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw SafetensorsError(.io(operation: "read", code: errno), file: path)
            }
            if n == 0 { throw SafetensorsError(.endOfFile(expected: left), file: path) }
            left -= n
            next += n
        }
    }

    /// Flushes the file's data and metadata to the disk.
    func sync() throws {
        guard fsync(fd) == 0 else { throw SafetensorsError(.io(operation: "fsync", code: errno), file: path) }
    }
}

/// Hands bytes to an observer (e.g. a hash) on a second thread, in order, so observing
/// overlaps the file I/O. The caller keeps submitted memory valid until `finish()` returns.
final class SafetensorsObserverQueue {
    /// A pointer the caller promises stays valid until `finish()`.
    private struct Chunk: @unchecked Sendable { let bytes: UnsafeRawBufferPointer }
    private let observe: @Sendable (UnsafeRawBufferPointer) -> Void
    private let queue = DispatchQueue(label: "ringtrain.safetensors.observer")

    init(_ observe: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) { self.observe = observe }

    /// Observes `bytes` later; they must stay valid and unchanged until `finish()`.
    func submit(_ bytes: UnsafeRawBufferPointer) {
        let chunk = Chunk(bytes: bytes)
        queue.async { [observe] in observe(chunk.bytes) }
    }

    /// Observes `values`' bytes later (the array is kept alive until then).
    func submit<Element: Sendable>(_ values: [Element]) {
        queue.async { [observe] in values.withUnsafeBytes { observe($0) } }
    }

    /// Waits until everything submitted has been observed.
    func finish() { queue.sync {} }
}
