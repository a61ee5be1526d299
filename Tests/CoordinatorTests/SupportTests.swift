// SupportTests: the small shared helpers — byte sizes, option words, the median, PATH lookup,
// and the cluster a benchmark's flags describe.
import Foundation
import Testing
@testable import Coordinator
import Model

@Suite("shared helpers")
struct SupportTests {
    @Test("sizes read with K and M suffixes, in any case; anything else is nil",
          arguments: [("4K", 4096), ("64m", 64 << 20), (" 1000 ", 1000), ("1", 1), ("0", nil), ("-4K", nil), ("4G", nil),
                      ("K", nil), ("", nil), ("9999999999999M", nil)] as [(String, Int?)])
    func byteSizes(text: String, bytes: Int?) {
        #expect(ByteSize.parse(text) == bytes)
    }

    @Test("a size list names the first item that is not a positive multiple")
    func byteSizeList() throws {
        #expect(try ByteSize.parseList("4K,16K, 1M", multiple: 4) == [4096, 16384, 1 << 20])
        #expect { try ByteSize.parseList("4K,6,1M", multiple: 4) } throws: { error in
            "\(error)" == "bad size '6': expected a positive multiple of 4 bytes up to 16384M, e.g. 4K or 64M"
        }
        // Empty items and sizes past 16 GiB (their buffers' arithmetic overflowed) are named too.
        for (list, bad) in [(",", ""), ("4K,,8K", ""), ("16385M", "16385M"), ("8796093022207M", "8796093022207M")] {
            #expect { try ByteSize.parseList(list, multiple: 4) } throws: { error in "\(error)".hasPrefix("bad size '\(bad)'") }
        }
    }

    @Test("words split on spaces; single quotes group them and may make an empty word",
          arguments: [("--mca btl tcp,self", ["--mca", "btl", "tcp,self"]),
                      ("  a   b ", ["a", "b"]),
                      ("--mca plm_rsh_agent '/x/testcluster rsh'", ["--mca", "plm_rsh_agent", "/x/testcluster rsh"]),
                      ("a '' b", ["a", "", "b"]), ("", [])])
    func shellWords(text: String, words: [String]) {
        #expect(ShellWords.split(text) == words)
    }

    @Test("the median is the middle value, or the mean of the middle two; NaN when empty")
    func medians() {
        #expect(median([3, 1, 2]) == 2)
        #expect(median([4, 1, 3, 2]) == 2.5)
        #expect(median([7]) == 7)
        #expect(median([]).isNaN)
    }

    @Test("an estimated duration is rounded to its scale and bounded for absurd estimates",
          arguments: [(90.0, "90 s"), (600, "10 min"), (3.5 * 3600, "3.5 h"), (12 * 86_400, "12 days"),
                      (9.2e18, "1,000+ days"), (.infinity, "1,000+ days"), (.nan, "an unknown time")] as [(Double, String)])
    func roughDurations(seconds: Double, text: String) {
        #expect(roughDurationText(seconds) == text)
    }

    @Test("a file error reads as the system's words, not Foundation's wrapper")
    func fileErrorWords() {
        do {
            try FileManager.default.createDirectory(atPath: "/proc/ringtrain-no-such-folder/x", withIntermediateDirectories: true)
            Issue.record("creating a folder under /proc succeeded")
        } catch {
            #expect(error.fileErrorText == String(cString: strerror(ENOENT)), "\(error.fileErrorText)")
        }
    }

    @Test("a program name is looked up on PATH; a name with a slash is a path, relative to the base folder")
    func executableSearch() throws {
        let sh = try #require(ExecutableSearch.find("sh"), "sh is on every PATH")
        #expect(sh.hasSuffix("/sh") && FileManager.default.isExecutableFile(atPath: sh))
        #expect(ExecutableSearch.find("no-such-program-\(getpid())") == nil)
        #expect(ExecutableSearch.find("sh", baseDirectory: "/nonexistent") == sh, "a bare name ignores the base folder")
        let dir = NSTemporaryDirectory() + "ringtrain-support-\(getpid())-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "#!/bin/sh\n".write(toFile: dir + "/tool", atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir + "/tool")
        #expect(ExecutableSearch.find("./tool", baseDirectory: dir) == dir + "/./tool")
        #expect(ExecutableSearch.find(dir + "/tool", baseDirectory: "/elsewhere") == dir + "/tool")
        #expect(ExecutableSearch.find("tool", baseDirectory: dir) == nil, "a bare name is only looked up on PATH")
        #expect(ExecutableSearch.find("./missing", baseDirectory: dir) == nil)
    }

    @Test("a benchmark's cluster: this machine by default, mpirun arguments split, bad hosts named as usage mistakes")
    func benchmarkCluster() throws {
        let local = try BenchmarkCluster.make(hosts: nil, network: "10.0.0.0/24", mpirunArgs: "--mca btl 'tcp,self'", binary: "/bin/true")
        #expect(local.hosts.isEmpty && local.oversubscribe && local.network == "10.0.0.0/24")
        #expect(local.mpirunArgs == ["--mca", "btl", "tcp,self"])
        for bad in ["a:0", "a:b", "a:1:2", "", ":2", "a:4097", "a b"] {
            #expect { try BenchmarkCluster.make(hosts: bad, network: nil, mpirunArgs: nil, binary: "/bin/true") } throws: { error in
                (error as? BenchmarkCluster.BadHost)?.description.contains("bad host '\(bad)'") == true && error is any UsageError
            }
        }
    }
}

@Test("a followed file replaced by a shorter one is read again from its start")
func lineFollowerRereadsAReplacedFile() throws {
    let dir = NSTemporaryDirectory() + "ringtrain-follow-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/metrics.jsonl"
    try "{\"epoch\": 1}\n{\"epoch\": 2}\n".write(toFile: path, atomically: false, encoding: .utf8)
    let follower = LineFollower(path: path)
    #expect(follower.newLines().count == 2)
    try "{\"epoch\": 1}\n".write(toFile: path, atomically: true, encoding: .utf8)   // cut back, as a resume does
    #expect(follower.newLines() == ["{\"epoch\": 1}"])
    try FileHandle(forWritingAtPath: path).map { h in try h.seekToEnd(); try h.write(contentsOf: Data("{\"epoch\": 2}\n".utf8)); try h.close() }
    #expect(follower.newLines() == ["{\"epoch\": 2}"])
}

@Test("a FIFO in a followed file's place gives no lines, without waiting for a writer")
func lineFollowerPassesOverAFIFO() throws {
    let path = try TestFolder.make() + "/metrics.jsonl"
    try #require(mkfifo(path, 0o644) == 0)
    #expect(LineFollower(path: path).newLines().isEmpty)
}

@Test("a folder or FIFO in sweep.sqlite's place is named as such, for writing and for reading only")
func sweepStoreThatIsNoFile() throws {
    for make in [{ (p: String) in try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true) },
                 { (p: String) in try #require(mkfifo(p, 0o644) == 0) }] {
        let path = try TestFolder.make() + "/sweep.sqlite"
        try make(path)
        #expect { _ = try SweepStore(path: path) } throws: { ($0 as? SweepStoreError).map { "\($0)".contains("not a regular file") } ?? false }
        #expect { _ = try SweepStore(readingOnly: path) } throws: { ($0 as? SweepStoreError).map { "\($0)".contains("not a regular file") } ?? false }
    }
}
