// SweepFolderReadTests: the commands that only read a sweep folder (status, report) work from the
// folder alone once the program or the data it ran on has moved, and a store that cannot be read
// while nobody runs the sweep is said to be damaged, not covered by an old status.json.
import Foundation
import Testing

@Suite struct SweepFolderReadTests {
    @Test("status and report of a program sweep whose program has moved")
    func programMoved() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let program = dir + "/objective.py"
        try ExecutableFile.write("#!/usr/bin/env python3\nimport sys\nx = float(sys.argv[1].split('=')[1])\nprint('{\"score\": %r}' % (x * x))\n", to: program)
        try """
        sweep:
          method: grid
          program: \(program)
          metric: {name: score}
          parameters:
            x: {values: [0.1, 0.9]}
        """.write(toFile: dir + "/sweep.yaml", atomically: false, encoding: .utf8)
        let sweep = try SweepTests.ringtrain(["sweep", dir + "/sweep.yaml", "--run-dir", dir + "/run"])
        try #require(sweep.status == 0, "\(sweep.output)")
        try FileManager.default.moveItem(atPath: program, toPath: program + ".moved")
        let status = try SweepTests.ringtrain(["status", dir + "/run"])
        #expect(status.status == 0 && status.stdout.contains("finished"), "\(status.output)")
        let report = try SweepTests.ringtrain(["report", dir + "/run", "--no-save"])
        #expect(report.status == 0, "\(report.output)")
    }

    @Test("status and report of a sweep whose CSV data has moved")
    func dataMoved() throws {
        let (tiny, run) = try Self.finishedSweep(lrs: "0.01, 0.02")
        for file in ["train.csv", "test.csv"] { try FileManager.default.moveItem(atPath: tiny.dir + "/" + file, toPath: tiny.dir + "/" + file + ".moved") }
        let status = try TinyRun.ringtrain(["status", run])
        #expect(status.status == 0 && status.stdout.contains("finished"), "\(status.output)")
        let report = try TinyRun.ringtrain(["report", run, "--no-save"])
        #expect(report.status == 0, "\(report.output)")
    }

    @Test("a store that cannot be read, with nobody running the sweep, is damage: status says so instead of an old status.json")
    func damagedStoreIsSaid() throws {
        let (_, run) = try Self.finishedSweep(lrs: "0.01")
        let store = run + "/sweep.sqlite"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: store))
        try bytes.prefix(100).write(to: URL(fileURLWithPath: store))
        for sidecar in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store + sidecar) }
        let status = try TinyRun.ringtrain(["status", run])
        #expect(status.status != 0 && status.output.contains("sweep.sqlite") && !status.output.contains("status.json"), "\(status.output)")
    }

    /// A tiny grid sweep over `optimizer.lr` (the values as YAML list items), run to its end:
    /// its setup and its folder.
    private static func finishedSweep(lrs: String) throws -> (TinyRun, String) {
        let tiny = try TinyRun(epochs: 1)
        try tiny.appendLearningRateGrid(lrs)
        let run = tiny.dir + "/run"
        let sweep = try TinyRun.ringtrain(["sweep", tiny.config, "--run-dir", run])
        try #require(sweep.status == 0, "\(sweep.output)")
        return (tiny, run)
    }
}
