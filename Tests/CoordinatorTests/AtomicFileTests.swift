// AtomicFileTests: whole-file replacement writes the new bytes, leaves nothing beside the file,
// and names the file when it cannot write.
import Foundation
import Synchronization
import Testing
@testable import Coordinator

@Suite struct AtomicFileTests {
    @Test func replacesTheFileAndLeavesNothingBehind() throws {
        let dir = try TestFolder.make()
        let path = dir + "/report.html"
        try AtomicFile.write("first\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first\n")
        try AtomicFile.write(String(repeating: "second ", count: 100_000), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == String(repeating: "second ", count: 100_000))
        try AtomicFile.write("", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["report.html"])
    }

    @Test func failureNamesTheFile() throws {
        let path = NSTemporaryDirectory() + "ringtrain-no-such-folder-\(getpid())/results.csv"
        #expect {
            try AtomicFile.write("x", to: path)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("No such file or directory")
        }
    }
}

@Suite struct AtomicFileConcurrencyTests {
    /// Regression: with one fixed temporary name, two writers of one file truncated each other's
    /// temporary file and one rename failed (ENOENT). Each writer now has its own.
    @Test func concurrentWritersEachReplaceTheWholeFile() throws {
        let dir = try TestFolder.make()
        let path = dir + "/status"
        let texts = (0..<6).map { String(repeating: "writer \($0) ", count: 20_000) }
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: texts.count) { i in
            for _ in 0..<20 {
                do { try AtomicFile.write(texts[i], to: path) } catch { failures.withLock { $0.append("\(error)") } }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 }.prefix(3))")
        #expect(texts.contains(try String(contentsOfFile: path, encoding: .utf8)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["status"])
    }
}
