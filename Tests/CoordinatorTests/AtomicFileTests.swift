// AtomicFileTests: whole-file replacement writes the new bytes, leaves nothing beside the file,
// and names the file when it cannot write.
import Foundation
import Testing
@testable import Coordinator

@Suite struct AtomicFileTests {
    @Test func replacesTheFileAndLeavesNothingBehind() throws {
        let dir = NSTemporaryDirectory() + "ringtrain-atomic-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
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
