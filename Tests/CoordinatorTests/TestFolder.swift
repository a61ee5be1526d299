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

    /// A new empty folder.
    static func make() throws -> String {
        let path = root + "/" + UUID().uuidString.prefix(12)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
