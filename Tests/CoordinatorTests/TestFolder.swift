// TestFolder: fresh folders for Coordinator tests, all under one per-process folder that is
// removed when the test process exits.
import Foundation

enum TestFolder {
    /// The per-process parent, removed at exit.
    static let root: String = {
        let path = NSTemporaryDirectory() + "ringtrain-coordinator-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "ringtrain-coordinator-tests-\(getpid())") }
        return path
    }()

    /// Writes an executable script through a descriptor closed on exec: a descriptor open for
    /// writing that a process started meanwhile by a test running alongside inherits keeps the
    /// file busy while that process lives, and running it then fails (ETXTBSY, exit 126).
    static func writeExecutable(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count, fchmod(fd, 0o755) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// A new empty folder.
    static func make() throws -> String {
        let path = root + "/" + UUID().uuidString.prefix(12)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
