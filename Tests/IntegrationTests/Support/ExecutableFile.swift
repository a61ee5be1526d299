// ExecutableFile: writes a script a test runs, through a descriptor closed on exec. A descriptor
// open for writing that a process started meanwhile by a test running alongside inherits keeps
// the file busy while that process lives, and the kernel refuses to run it (ETXTBSY: a trial's
// start then fails with exit 127, a shell's with 126).
import Foundation
import Testing

enum ExecutableFile {
    /// Writes `text` to `path` (replacing it), executable.
    static func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        try #require(fd >= 0, "cannot create \(path): \(String(cString: strerror(errno)))")
        defer { close(fd) }
        let bytes = Array(text.utf8)
        try #require(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count, "short write to \(path)")
        try #require(fchmod(fd, 0o755) == 0)
    }
}
