// MetricsFileTests: what a resume keeps of metrics.jsonl — the lines up to the checkpoint's step,
// never a final line or a torn one — and that the cut replaces the file only when it drops a line.
import Foundation
import Testing
@testable import Worker

struct MetricsFileTests {
    static let text = """
        {"epoch":1,"loss":0.5,"step":10}
        {"event":"diverged","step":12,"tensor":"loss"}
        {"epoch":2,"loss":0.4,"step":20}
        {"final":true,"step":20,"test_acc":0.8}
        {"epoch":3,"lo
        """

    @Test("lines kept by a resume from a step", arguments: [(0, 0), (9, 0), (10, 1), (12, 2), (19, 2), (20, 3), (30, 3)])
    func kept(step: Int, count: Int) {
        let kept = MetricsFile.kept(Self.text, resumingAt: step)
        #expect(kept.count == count, "\(kept)")
        #expect(!kept.contains { $0.contains("final") || $0.contains("\"lo\n") })
    }

    /// A new empty folder for a run's metrics.jsonl.
    static func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "metrics-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func cutRewritesOnlyWhenALineGoes() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = MetricsFile(runDirectory: dir)
        try Self.text.write(toFile: file.path, atomically: false, encoding: .utf8)
        try file.cut(resumingAt: 20)
        let cut = try String(contentsOfFile: file.path, encoding: .utf8)
        #expect(cut.split(separator: "\n").count == 3 && cut.hasSuffix("\n"), "\(cut)")
        let inode = try FileManager.default.attributesOfItem(atPath: file.path)[.systemFileNumber] as? Int
        try file.cut(resumingAt: 20)
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.systemFileNumber] as? Int == inode)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["metrics.jsonl"])
    }

    @Test("a FIFO in metrics.jsonl's place is an error at once, never a wait for a writer or reader")
    func fifoIsRefusedWithoutBlocking() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = MetricsFile(runDirectory: dir)
        try #require(mkfifo(file.path, 0o644) == 0)
        #expect(!file.hasFinalLine())
        #expect { try file.cut(resumingAt: 3) } throws: { "\($0)".contains("not a regular file") }
        #expect { _ = try file.openForAppending() } throws: { "\($0)".contains("cannot write") || "\($0)".contains("not a regular file") }
    }

    @Test("a final line is found past a line that is not UTF-8")
    func finalLinePastDamage() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = MetricsFile(runDirectory: dir)
        try (Data(Self.text.utf8) + Data([0xFF, 0xFE, 0x80, 0x0A])).write(to: URL(fileURLWithPath: file.path))
        #expect(file.hasFinalLine())
    }
}
