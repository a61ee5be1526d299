// A train that stopped before its first checkpoint leaves a folder that only the same job takes
// again: a train of another config is refused, and never appends to the first job's metrics.jsonl.
import Foundation
import Testing

@Suite(.serialized)
struct RunFolderEarlierJobTests {
    @Test func aFolderLeftBeforeTheFirstCheckpointIsRefusedToAnotherConfig() throws {
        let tiny = try TinyRun(epochs: 1)
        #expect(try tiny.train("run").status == 0)
        // As a run killed before its first checkpoint leaves its folder: configs, metrics, no
        // checkpoint, and no final line (a finished run is refused to any train, see RunFolderTests).
        try FileManager.default.removeItem(atPath: tiny.dir + "/run/checkpoints")
        let written = try String(contentsOfFile: tiny.dir + "/run/metrics.jsonl", encoding: .utf8)
        let metrics = written.split(separator: "\n").filter { !$0.contains("\"final\"") }.map { $0 + "\n" }.joined()
        try metrics.write(toFile: tiny.dir + "/run/metrics.jsonl", atomically: true, encoding: .utf8)

        let other = try tiny.train("run", ["--set", "job.optimizer.lr=0.01"])
        #expect(other.status == 2 && other.stderr.contains("different config") && other.stderr.contains(tiny.dir + "/run"),
                "\(other.output)")
        #expect(try String(contentsOfFile: tiny.dir + "/run/metrics.jsonl", encoding: .utf8) == metrics, "nothing appended")
        #expect(try String(contentsOfFile: tiny.dir + "/run/resolved.yaml", encoding: .utf8).contains("0.05"))

        // The same job (with other ranks too) starts again there.
        let same = try tiny.train("run", ["--ranks", "2"])
        #expect(same.status == 0, "\(same.output)")
        // ... and its lines replace the earlier attempt's, never after them.
        let lines = TrainingFixtures.jsonLines(try String(contentsOfFile: tiny.dir + "/run/metrics.jsonl", encoding: .utf8))
        #expect(lines.map { $0["epoch"] as? Int } == [1, nil], "one epoch line, then the final one: \(lines)")
    }
}
