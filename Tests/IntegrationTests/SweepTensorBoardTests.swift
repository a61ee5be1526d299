// SweepTensorBoardTests: a sweep's HParams summaries read back as TensorBoard's HParams tab reads
// them — the `tensorboard` package's own multiplexer, data provider and plugin handlers
// (Fixtures/read_hparams.py) — against the sweep's own report: the experiment's parameters and
// domains, one session per trial with its values, status and metric.
import Foundation
import Testing

private let pythonHasTensorBoard = (try? ProcessRunner.run("/usr/bin/env", ["python3", "-c", "import tensorboard"]))?.status == 0

@Suite(.serialized, .enabled(if: pythonHasTensorBoard, "python3 cannot import tensorboard (scripts/setup installs it with pip)"))
struct SweepTensorBoardTests {
    static let reader = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/read_hparams.py").path

    /// What the HParams tab shows for `sweep`.
    static func hparams(_ sweep: String) throws -> [String: Any] {
        let result = try ProcessRunner.run("/usr/bin/env", ["python3", reader, sweep], timeout: 120)
        try #require(result.status == 0, "\(result.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.output)")
    }

    /// The sweep's trials as `ringtrain report --format json` gives them, by trial folder name.
    static func trials(_ sweep: String) throws -> [String: [String: Any]] {
        let report = try TinyRun.ringtrain(["report", sweep, "--format", "json"])
        try #require(report.status == 0, "\(report.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let trials = try #require(object["trials"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: trials.map { (String(format: "trial-%04d", $0["id"] as! Int), $0) })
    }

    @Test("a training sweep: the experiment's three kinds of parameter, each trial a session with its values and its val_acc")
    func trainingSweep() throws {
        let tiny = try TinyRun(epochs: 2, job: """
              checkpoint: {every_epoch: true}
            sweep:
              method: random
              metric: {name: val_acc, goal: maximize}
              parameters:
                optimizer.lr: {distribution: log_uniform_values, min: 0.01, max: 0.1}
                model.hidden: {values: [[8], [16]]}
                optimizer.nesterov: {values: [true, false]}
              run_cap: 3
              seed: 3
            """)
        let sweep = tiny.dir + "/sweep"
        let result = try TinyRun.ringtrain(["sweep", tiny.config, "--run-dir", sweep], timeout: 300)
        try #require(result.status == 0, "\(result.output)")
        let tab = try Self.hparams(sweep)
        let infos = try #require(tab["hparams"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: infos.map { ($0["name"] as! String, $0) })
        #expect(byName["optimizer.lr"]?["type"] as? String == "DATA_TYPE_FLOAT64" && byName["optimizer.lr"]?["interval"] as? [Double] == [0.01, 0.1])
        #expect(byName["model.hidden"]?["type"] as? String == "DATA_TYPE_STRING" && byName["model.hidden"]?["values"] as? [String] == ["[8]", "[16]"])
        #expect(byName["optimizer.nesterov"]?["type"] as? String == "DATA_TYPE_BOOL" && byName["optimizer.nesterov"]?["values"] as? [Bool] == [true, false])
        #expect(tab["metrics"] as? [String] == ["val_acc"])

        let trials = try Self.trials(sweep)
        let sessions = try #require(tab["sessions"] as? [[String: Any]])
        #expect(Set(sessions.compactMap { $0["name"] as? String }) == Set(trials.keys), "\(sessions)")
        for session in sessions {
            let name = try #require(session["name"] as? String)
            let trial = try #require(trials[name])
            let params = try #require(trial["params"] as? [String: Any])
            let values = try #require(session["hparams"] as? [String: Any])
            #expect(values["optimizer.lr"] as? Double == params["optimizer.lr"] as? Double, "\(name)")
            #expect(values["optimizer.nesterov"] as? Bool == params["optimizer.nesterov"] as? Bool, "\(name)")
            #expect(values["model.hidden"] as? String == "[\((params["model.hidden"] as? [Int] ?? []).map(String.init).joined(separator: ", "))]", "\(name)")
            #expect(session["status"] as? String == "STATUS_SUCCESS")
            let metric = try #require((session["metrics"] as? [String: Double])?["val_acc"], "\(session)")
            #expect(Float(metric) == Float(try #require(trial["metric"] as? Double)), "\(name): the trial's last val_acc is its metric")
        }
        // One session start per trial, also after the sweep is resumed (nothing left to run).
        let again = try TinyRun.ringtrain(["resume", sweep], timeout: 120)
        try #require(again.status == 0, "\(again.output)")
        for name in trials.keys {
            let files = try FileManager.default.contentsOfDirectory(atPath: sweep + "/" + name)
            #expect(files.filter { $0.hasSuffix(".hparams") }.count == 1 && files.filter { $0.hasSuffix(".hparams-end") }.count == 1, "\(files)")
        }
        #expect((try Self.hparams(sweep)["sessions"] as? [Any])?.count == 3)
    }

    @Test("a program sweep: its metric written for the tab at the trial's end; a failed trial is a failed session")
    func programSweep() throws {
        let dir = try TrainingFixtures.temporaryDirectory()
        let config = try SweepHarness.objectiveSweep(in: dir, method: "grid",
                                                     parameters: ["x: {values: [0.1, 0.5]}", "fail: {values: [never, always]}"],
                                                     keys: ["run_cap: 4", "max_retries: 0"])
        let result = try SweepHarness.run(["sweep", config, "--run-dir", dir + "/sweep"], mark: "hparams-program")
        #expect(result.status == 0, "\(result.output)")
        let tab = try Self.hparams(dir + "/sweep")
        let infos = try #require(tab["hparams"] as? [[String: Any]])
        #expect(Set(infos.compactMap { $0["name"] as? String }) == ["x", "fail"])
        #expect(infos.first { $0["name"] as? String == "x" }?["values"] as? [Double] == [0.1, 0.5])
        let trials = try Self.trials(dir + "/sweep")
        let sessions = try #require(tab["sessions"] as? [[String: Any]])
        #expect(sessions.count == 4)
        for session in sessions {
            let name = try #require(session["name"] as? String)
            let trial = try #require(trials[name])
            let failed = (session["hparams"] as? [String: Any])?["fail"] as? String == "always"
            #expect(session["status"] as? String == (failed ? "STATUS_FAILURE" : "STATUS_SUCCESS"), "\(session)")
            #expect(trial["status"] as? String == (failed ? "failed" : "finished"))
            let metric = (session["metrics"] as? [String: Double])?["score"]
            if failed {
                #expect(metric == nil, "\(session)")
            } else {
                #expect(metric.map(Float.init) == (trial["metric"] as? Double).map(Float.init), "\(name)")
            }
        }
    }
}
