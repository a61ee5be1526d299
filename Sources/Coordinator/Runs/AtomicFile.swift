// AtomicFile: replaces a small file whole or not at all — a uniquely named temporary file in the
// same folder, fsync, rename, fsync of the folder — for the run folder's reports and status files.
import Foundation
import Synchronization

/// Whole-file replacement that readers never see half-written.
public enum AtomicFile {
    /// Writes `text` (UTF-8) to `path`: readers see the old file or the new one, never a mix;
    /// once it returns the new file survives a crash (the folder is fsynced too). Two writers
    /// never share a temporary file (`.name.tmp-<pid>-<n>`); a crash leaves at most one such
    /// file beside it. Throws an error naming the path.
    public static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let serial = counter.add(1, ordering: .relaxed).newValue
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(serial)").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFileError(path: path, operation: "create \(temporary)", code: errno) }
        let data = Array(text.utf8)
        var written = 0
        while written < data.count {
            let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, data.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let code = errno
                close(fd)
                unlink(temporary)
                throw AtomicFileError(path: path, operation: "write", code: code)
            }
            written += n
        }
        let synced = fsync(fd) == 0
        let syncCode = errno
        close(fd)
        guard synced else { unlink(temporary); throw AtomicFileError(path: path, operation: "fsync", code: syncCode) }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw AtomicFileError(path: path, operation: "rename", code: code)
        }
        let folder = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw AtomicFileError(path: path, operation: "open its folder", code: errno) }
        defer { close(folder) }
        guard fsync(folder) == 0 else { throw AtomicFileError(path: path, operation: "fsync its folder", code: errno) }
    }

    private static let counter = Atomic<Int>(0)
}

/// A failed `AtomicFile.write`: which file, which step, and the system's reason.
public struct AtomicFileError: Error, CustomStringConvertible, LocalizedError {
    public let path: String
    public let operation: String
    public let code: Int32
    public var description: String { "cannot write \(path): \(operation) failed: \(String(cString: strerror(code)))" }
    public var errorDescription: String? { description }
}
