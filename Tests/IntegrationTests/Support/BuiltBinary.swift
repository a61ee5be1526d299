// BuiltBinary: finds the `ringtrain` executable that `swift build` / `swift test` produced.
// Shared by every integration test that runs the real binary.
import Coordinator
import Foundation

/// Locating the built `ringtrain` binary from inside the test process.
enum BuiltBinary {
    /// Absolute path of `ringtrain`: searched in the directory of the test bundle
    /// (`CommandLine.arguments[0]`, e.g. `.build/x86_64-unknown-linux-gnu/debug/…xctest`) and its
    /// parents. nil if not built (tests should then fail with a hint to run `swift build`).
    static let ringtrain: String? = find("ringtrain")

    /// Searches the test executable's directory and up to four parents for an executable `name`.
    static func find(_ name: String) -> String? {
        let fm = FileManager.default
        var argument0 = CommandLine.arguments.first ?? ""
        if !argument0.hasPrefix("/") { argument0 = fm.currentDirectoryPath + "/" + argument0 }
        var directory = URL(fileURLWithPath: argument0).standardizedFileURL.deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = directory.appendingPathComponent(name).path
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               fm.isExecutableFile(atPath: candidate) {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// Absolute path of the first `name` on PATH (e.g. `mpirun`), or nil.
    static func onPath(_ name: String) -> String? { ExecutableSearch.find(name) }
}
