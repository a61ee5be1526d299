// AtomicFile: replaces a run folder's small text files (reports, status files, configs) whole or
// not at all, through the project's one durable write (`DurableFile.replace`).
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Model

/// Whole-file replacement that readers never see half-written.
public enum AtomicFile {
    /// Writes `text` (UTF-8) to `path`: readers see the old file or the new one, never a mix;
    /// once it returns the new file survives a crash (the folder is fsynced too). Two writers
    /// never share a temporary file (`.tmp-<name>-<pid>-<n>`); a crash leaves at most one such
    /// file beside it. Throws a `DurableFileError` naming the path.
    ///
    /// A symbolic link is written through: its target is replaced, the link stays. A path that is
    /// not a regular file (a device such as /dev/null, a FIFO) is written to in place, since a
    /// rename would replace the node itself.
    public static func write(_ text: String, to path: String) throws {
        let target = LinkTarget.of(path)
        var info = stat()
        guard stat(target, &info) == 0, info.st_mode & S_IFMT != S_IFREG else {
            return try DurableFile.replace(target, with: text)
        }
        let descriptor = open(target, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard descriptor >= 0 else { throw WriteInPlaceError(path: path, operation: "open it for writing", code: errno) }
        defer { close(descriptor) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw WriteInPlaceError(path: path, operation: "write", code: written < 0 ? errno : EIO) }
            bytes = bytes.dropFirst(written)
        }
    }
}

/// A write to a device or FIFO that failed: the path, the step and the system's reason.
struct WriteInPlaceError: Error, CustomStringConvertible, LocalizedError {
    let path: String, operation: String, code: Int32
    var description: String { "\(path): cannot \(operation): \(String(cString: strerror(code)))" }
    var errorDescription: String? { description }
}
