// ConfigFileReadTests: reading the config file itself — a pipe reads to its end, a file past the
// size limit (or an endless device) is refused before it is parsed, and a whole file that is one
// long scalar is not echoed back in full.
import Foundation
import Testing
@testable import Coordinator

@Suite struct ConfigFileReadTests {
    @Test("a config given as a pipe (`<(…)`) is read to its end")
    func readsAPipe() throws {
        var fds: [Int32] = [0, 0]
        try #require(Glibc.pipe(&fds) == 0)
        defer { close(fds[0]) }
        let text = "job:\n  dataset: {name: fashion-mnist}\n  epochs: 3\n"
        let written = text.utf8CString.withUnsafeBytes { write(fds[1], $0.baseAddress, text.utf8.count) }
        close(fds[1])
        try #require(written == text.utf8.count)
        let file = try ConfigFile.load(path: "/dev/fd/\(fds[0])")
        #expect(file.text == text)
    }

    @Test("a FIFO nobody writes is said so at once, not a wait for a writer")
    func fifoWithoutWriter() throws {
        let path = try TestFolder.make() + "/resolved.yaml"
        try #require(mkfifo(path, 0o644) == 0)
        #expect { try ConfigFile.load(path: path) } throws: { "\($0)".contains("a FIFO nobody writes to") }
    }

    @Test("a file past the size limit, and a device that never ends, are refused by size, unparsed")
    func tooLarge() throws {
        let path = try TestFolder.make() + "/dataset.csv"
        try Data(repeating: UInt8(ascii: "a"), count: ConfigFile.byteLimit + 1).write(to: URL(fileURLWithPath: path))
        for given in [path, "/dev/zero"] {
            #expect { try ConfigFile.load(path: given) } throws: { error in
                (error as? ConfigError)?.file == given && "\(error)".contains("more than 16 MiB") && "\(error)".contains("not a dataset's")
            }
        }
        // At the limit exactly it is read (and then fails as YAML that is no mapping, not by size).
        try Data(repeating: UInt8(ascii: "a"), count: ConfigFile.byteLimit).write(to: URL(fileURLWithPath: path))
        #expect { try RunConfig.load(path: path) } throws: { error in !"\(error)".contains("MiB") }
    }

    @Test("a long scalar is quoted by its first 60 characters and its length, in every message that shows it")
    func longScalarIsCut() throws {
        let long = String(repeating: "x", count: 5000)
        for text in [long, "job:\n  dataset: {name: \(long)}\n"] {
            #expect { _ = try RunConfig(file: ConfigFile.parse(text: text, path: "c.yaml")) } throws: { error in
                let message = "\(error)"
                return message.contains("'\(String(repeating: "x", count: 60))…' (5000 characters)") && message.count < 400
            }
        }
        #expect(ConfigValue.quoted("short") == "'short'")
        #expect(ConfigValue.quoted(String(repeating: "é", count: 60)) == "'\(String(repeating: "é", count: 60))'")
    }
}
