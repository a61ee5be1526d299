// TensorBoardFilesTests: the event files a run writes beside metrics.jsonl, read back by the
// `tensorboard` Python package — its record reader (which raises on a bad length or CRC) for
// exact event counts, its EventAccumulator for tags, steps and values — also across a resume.
import Foundation
import Testing

private let pythonHasTensorBoard = (try? ProcessRunner.run("/usr/bin/env", ["python3", "-c", "import tensorboard"]))?.status == 0

@Suite(.serialized, .enabled(if: pythonHasTensorBoard, "python3 cannot import tensorboard (scripts/setup installs it with pip)"))
struct TensorBoardFilesTests {
    /// Reads every event file of a run folder: per file, its events as JSON (step, wall time, what
    /// it holds); then the accumulator's scalars per tag as (step, value) pairs.
    static let reader = #"""
import glob, json, os, sys
from tensorboard.compat.tensorflow_stub import errors
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New
from tensorboard.compat.proto import event_pb2
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
run = sys.argv[1]
files = []
for path in sorted(glob.glob(os.path.join(run, "*tfevents*"))):
    reader = PyRecordReader_New(path.encode(), 0, b"")
    events = []
    while True:
        try:
            reader.GetNext()
        except errors.OutOfRangeError:
            break
        e = event_pb2.Event.FromString(reader.record())
        kind = e.WhichOneof("what")
        item = {"step": e.step, "kind": kind, "wall_time": e.wall_time}
        if kind == "file_version": item["version"] = e.file_version
        if kind == "summary": item["tags"] = {v.tag: v.simple_value for v in e.summary.value}
        if kind == "session_log": item["status"] = e.session_log.status
        events.append(item)
    files.append(events)
acc = EventAccumulator(run, size_guidance={"scalars": 0})
acc.Reload()
scalars = {tag: [[s.step, s.value] for s in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
print(json.dumps({"files": files, "scalars": scalars}))
"""#

    static func read(_ run: String) throws -> (files: [[[String: Any]]], scalars: [String: [[Double]]]) {
        let result = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", reader, run], timeout: 120)
        try #require(result.status == 0, "\(result.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.output)")
        let files = try #require(object["files"] as? [[[String: Any]]])
        let scalars = try #require(object["scalars"] as? [String: [[Double]]])
        return (files, scalars)
    }

    /// metrics.jsonl's epoch lines of `run` (no final line).
    static func epochLines(_ tiny: TinyRun, _ run: String) throws -> [[String: Any]] {
        try String(contentsOfFile: "\(tiny.dir)/\(run)/metrics.jsonl", encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["final"] == nil && $0["epoch"] != nil }
    }

    @Test("a run's events: the version, one summary per epoch with metrics.jsonl's numbers, the test metrics at the end")
    func oneRun() throws {
        let tiny = try TinyRun(epochs: 3)
        let result = try tiny.train("run")
        try #require(result.status == 0, "\(result.output)")
        let (files, scalars) = try Self.read(tiny.dir + "/run")
        try #require(files.count == 1, "\(files)")
        let events = files[0]
        #expect(events.count == 1 + 3 + 1, "version, 3 epochs, test: \(events)")
        #expect(events.first?["kind"] as? String == "file_version" && events.first?["version"] as? String == "brain.Event:2")
        let lines = try Self.epochLines(tiny, "run")
        #expect(lines.count == 3)
        for tag in ["loss", "train_acc", "val_loss", "val_acc", "lr", "samples_per_s"] {
            let points = try #require(scalars[tag], "no \(tag) in \(scalars.keys.sorted())")
            #expect(points.map { Int($0[0]) } == lines.map { ($0["step"] as! NSNumber).intValue }, "\(tag)")
            #expect(points.map { Float($0[1]) } == lines.map { ($0[tag] as! NSNumber).floatValue }, "\(tag)")
        }
        #expect(scalars["test_loss"]?.count == 1 && scalars["test_acc"]?.count == 1, "\(scalars.keys.sorted())")
        #expect(scalars["step"] == nil && scalars["seconds"] == nil && scalars["epoch"] == nil)

        let command = try TinyRun.ringtrain(["tensorboard", tiny.dir + "/run"])
        #expect(command.status == 0 && command.stdout == "tensorboard --logdir \(URL(fileURLWithPath: tiny.dir + "/run").standardizedFileURL.path)\n",
                "\(command.output)")
        let notARun = try TinyRun.ringtrain(["tensorboard", tiny.dir])
        #expect(notARun.status == 2 && notARun.stderr.contains("not a run folder"), "\(notARun.output)")
    }

    @Test("a resumed run adds a file that starts a session at the resumed step; every epoch appears once, as metrics.jsonl has it")
    func resumed() throws {
        let tiny = try TinyRun(epochs: 6)
        let stopped = try tiny.train("run", ["--fail-rank", "0", "--fail-step", "25", "--fail-mode", "signal"])
        try #require(stopped.status == 3, "\(stopped.output)")
        let saved = try #require(tiny.latest("run").flatMap { Int($0.dropFirst("step-".count)) }, "no checkpoint")
        try #require((21...29).contains(saved), "stopped at step \(saved)")
        let resumed = try TinyRun.ringtrain(["resume", tiny.dir + "/run"])
        try #require(resumed.status == 0, "\(resumed.output)")
        let (files, scalars) = try Self.read(tiny.dir + "/run")
        try #require(files.count == 2, "\(files)")
        let start = files[1].filter { $0["kind"] as? String == "session_log" }
        #expect(start.count == 1 && start.first?["status"] as? Int == 1 && start.first?["step"] as? Int == saved, "\(files[1])")
        #expect(files[0].count == 1 + 2 && files[1].count == 1 + 1 + 4 + 1, "\(files)")
        let lines = try Self.epochLines(tiny, "run")
        let points = try #require(scalars["val_acc"])
        #expect(points.map { Int($0[0]) } == [10, 20, 30, 40, 50, 60])
        #expect(points.map { Float($0[1]) } == lines.map { ($0["val_acc"] as! NSNumber).floatValue })
    }
}
