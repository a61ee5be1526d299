// SafetensorsIO: the reader's POSIX calls (exact reads and the size of a raw file descriptor, each
// failure turned into a SafetensorsError) and the writer's observer queue. Writes go through
// DurableFile.
import Foundation

/// A file open for reading that closes itself.
final class SafetensorsFileHandle {
    let fd: Int32
    let path: String

    /// Opens `path` for reading.
    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafetensorsError(.io(operation: "open the file", code: errno), file: path) }
    }

    deinit { close(fd) }

    /// The file's size in bytes.
    func size() throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SafetensorsError(.io(operation: "stat the file", code: errno), file: path) }
        return Int(info.st_size)
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
