// UserOutputTests: a file the user names is written through symbolic links (even dangling, even
// relative ones under a linked folder), into FIFOs and open descriptors in place, and never turns
// a link, a FIFO or a device into a regular file; a folder gets an error naming it.
import Foundation
import Testing
@testable import Coordinator

@Suite struct UserOutputTests {
    @Test func writesThroughLinksAsTheKernelResolvesThem() throws {
        let dir = try TestFolder.make()
        // A dangling link: its target is created, the link stays.
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.csv", withDestinationPath: dir + "/target.csv")
        try UserOutput.write("first\n", to: dir + "/link.csv")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.csv") == dir + "/target.csv")
        #expect(try String(contentsOfFile: dir + "/target.csv", encoding: .utf8) == "first\n")
        // A relative link under a linked folder: '..' is the real folder's parent, not the link's.
        try FileManager.default.createDirectory(atPath: dir + "/deep/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/alias", withDestinationPath: "deep/real")
        try FileManager.default.createSymbolicLink(atPath: dir + "/deep/real/out.sh", withDestinationPath: "../target.sh")
        try UserOutput.write("script\n", to: dir + "/alias/out.sh")
        #expect(try String(contentsOfFile: dir + "/deep/target.sh", encoding: .utf8) == "script\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/target.sh"))
        // An existing target through the link is replaced whole, and nothing is left beside it.
        try UserOutput.write("second\n", to: dir + "/alias/out.sh")
        #expect(try String(contentsOfFile: dir + "/deep/target.sh", encoding: .utf8) == "second\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/deep").sorted() == ["real", "target.sh"])
    }

    @Test func writesIntoFIFOsAndDescriptorsInPlace() throws {
        let dir = try TestFolder.make()
        let fifo = dir + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        try UserOutput.write("through the pipe", to: fifo)
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(reader, &buffer, 64)
        #expect(count > 0 && String(decoding: buffer[0..<max(count, 0)], as: UTF8.self) == "through the pipe")
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        // An open descriptor (as /dev/stdout is) is written at its offset: what it held stays.
        let log = dir + "/log.txt"
        let fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        _ = "head\n".withCString { write(fd, $0, 5) }
        try UserOutput.write("tail\n", to: "/dev/fd/\(fd)")
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "head\ntail\n")
        // A link to the descriptor (as a link to /dev/stdout would be), however the path is spelt:
        // the same file, appended to, not replaced.
        var before = stat(), after = stat()
        #expect(stat(log, &before) == 0)
        try FileManager.default.createSymbolicLink(atPath: dir + "/to-log", withDestinationPath: "//dev/./fd/\(fd)")
        try UserOutput.write("more\n", to: dir + "/to-log")
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "head\ntail\nmore\n")
        #expect(stat(log, &after) == 0 && after.st_ino == before.st_ino && after.st_mode & 0o111 == 0)
        #expect(UserOutput.destination(of: "/dev/stdout") == .descriptor(1))
        #expect(UserOutput.destination(of: "/proc/self/fd/2") == .descriptor(2))
    }

    @Test func aLoopOfLinksIsAnErrorNotReplaced() throws {
        let dir = try TestFolder.make()
        try FileManager.default.createSymbolicLink(atPath: dir + "/loop", withDestinationPath: dir + "/loop")
        #expect {
            try UserOutput.write("x", to: dir + "/loop")
        } throws: { error in
            "\(error)".contains("Too many levels of symbolic links")
        }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/loop") == dir + "/loop")
    }

    @Test func aFolderIsAnErrorNamingIt() throws {
        let dir = try TestFolder.make()
        #expect {
            try UserOutput.write("x", to: dir)
        } throws: { error in
            "\(error)".contains(dir) && "\(error)".contains("Is a directory")
        }
    }
}
