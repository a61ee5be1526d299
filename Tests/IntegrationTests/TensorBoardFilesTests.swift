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
from tensorboard.backend.event_processing import plugin_event_accumulator
from tensorboard.util import tensor_util
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
# The accumulator TensorBoard's plugins read through (scalars become tensors there).
plugin = plugin_event_accumulator.EventAccumulator(run, size_guidance={"tensors": 0})
plugin.Reload()
tensors = {tag: [[t.step, float(tensor_util.make_ndarray(t.tensor_proto).item())] for t in plugin.Tensors(tag)]
           for tag in plugin.Tags()["tensors"]}
print(json.dumps({"files": files, "scalars": scalars, "tensors": tensors}))
"""#

    static func read(_ run: String) throws -> (files: [[[String: Any]]], scalars: [String: [[Double]]], tensors: [String: [[Double]]]) {
        let result = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", reader, run], timeout: 120)
        try #require(result.status == 0, "\(result.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.output)")
        let files = try #require(object["files"] as? [[[String: Any]]])
        let scalars = try #require(object["scalars"] as? [String: [[Double]]])
        let tensors = try #require(object["tensors"] as? [String: [[Double]]])
        return (files, scalars, tensors)
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
        let (files, scalars, tensors) = try Self.read(tiny.dir + "/run")
        try #require(files.count == 1, "\(files)")
        let events = files[0]
        let expectedEvents = 1 + 1 + 3 + 3 + 1
        #expect(events.count == expectedEvents, "version, session start, 3 epochs and 3 step points, test: \(events)")
        #expect(events.dropFirst().first?["kind"] as? String == "session_log" && events.dropFirst().first?["step"] as? Int == 1)
        #expect(tensors["val_acc"] == scalars["val_acc"])
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
        // Every 10 steps: the loss, gradient norm, learning rate and throughput of that step.
        for tag in ["step/loss", "step/grad_norm", "step/lr", "step/samples_per_s"] {
            let points = try #require(scalars[tag], "no \(tag) in \(scalars.keys.sorted())")
            #expect(points.map { Int($0[0]) } == [10, 20, 30], "\(tag)")
            #expect(points.allSatisfy { $0[1].isFinite && $0[1] > 0 }, "\(tag): \(points)")
        }
        #expect(scalars["step/lr"]?.map { Float($0[1]) } == scalars["lr"]?.map { Float($0[1]) }, "a constant learning rate")
        #expect(scalars["step/skipped_steps"] == nil, "fp16 gradients only")

        let command = try TinyRun.ringtrain(["tensorboard", tiny.dir + "/run"])
        #expect(command.status == 0 && command.stdout == "tensorboard --logdir \(URL(fileURLWithPath: tiny.dir + "/run").standardizedFileURL.path)\n",
                "\(command.output)")
        let notARun = try TinyRun.ringtrain(["tensorboard", tiny.dir])
        #expect(notARun.status == 2 && notARun.stderr.contains("not a run folder"), "\(notARun.output)")
    }

    @Test("a resumed run adds a file that starts a session after the resumed step; every epoch appears once, as metrics.jsonl has it",
          arguments: [25, 30])
    func resumed(stopAt: Int) throws {
        let tiny = try TinyRun(epochs: 6)
        let stopped = try tiny.train("run", ["--fail-rank", "0", "--fail-step", "\(stopAt)", "--fail-mode", "signal"])
        try #require(stopped.status == 3, "\(stopped.output)")
        let saved = try #require(tiny.latest("run").flatMap { Int($0.dropFirst("step-".count)) }, "no checkpoint")
        try #require((stopAt...stopAt + 1).contains(saved), "stopped at step \(saved)")
        let resumed = try TinyRun.ringtrain(["resume", tiny.dir + "/run"])
        try #require(resumed.status == 0, "\(resumed.output)")
        let (files, scalars, tensors) = try Self.read(tiny.dir + "/run")
        try #require(files.count == 2, "\(files)")
        let start = files[1].filter { $0["kind"] as? String == "session_log" }
        #expect(start.count == 1 && start.first?["status"] as? Int == 1 && start.first?["step"] as? Int == saved + 1, "\(files[1])")
        // Each epoch's summary and each step point written once (none past the checkpoint was
        // superseded), and the test's.
        let summaries = files.flatMap { $0 }.filter { ($0["kind"] as? String) == "summary" }
        let expectedSummaries = 6 + 6 + 1
        #expect(summaries.count == expectedSummaries, "\(files)")
        #expect(scalars["step/loss"]?.map { Int($0[0]) } == [10, 20, 30, 40, 50, 60])
        let lines = try Self.epochLines(tiny, "run")
        // A report at the checkpoint's own step (30) stays: the new session starts after it.
        for points in [scalars["val_acc"], tensors["val_acc"]] {
            #expect(points?.map { Int($0[0]) } == [10, 20, 30, 40, 50, 60])
            #expect(points?.map { Float($0[1]) } == lines.map { ($0["val_acc"] as! NSNumber).floatValue })
        }
    }

    @Test("a run killed after a report its checkpoint does not hold, resumed: that report is superseded, in both of TensorBoard's readers",
          arguments: [1, 2])
    func supersededReport(ranks: Int) throws {
        // Checkpoints at 8, 16, 24; the epoch report at 30 is written, then rank 0 dies at 31.
        let tiny = try TinyRun(epochs: 6, job: "  checkpoint: {every_steps: 8, every_epoch: false, keep_last: 2}")
        let killed = try tiny.train("run", ["--ranks", "\(ranks)", "--fail-rank", "0", "--fail-step", "31", "--fail-mode", "kill"])
        try #require(killed.status != 0 && tiny.latest("run") == "step-00000024", "\(killed.output)")
        let resumed = try TinyRun.ringtrain(["resume", tiny.dir + "/run"])
        try #require(resumed.status == 0, "\(resumed.output)")
        let (files, scalars, tensors) = try Self.read(tiny.dir + "/run")
        try #require(files.count == 2, "\(files)")
        let epochSummaries = files[0].filter { ($0["tags"] as? [String: Any])?["loss"] != nil }
        #expect(epochSummaries.compactMap { $0["step"] as? Int } == [10, 20, 30])
        let lines = try Self.epochLines(tiny, "run")
        #expect(lines.map { ($0["step"] as! NSNumber).intValue } == [10, 20, 30, 40, 50, 60])
        for (reader, points) in [("EventAccumulator", scalars["loss"]), ("plugin EventAccumulator", tensors["loss"])] {
            #expect(points?.map { Int($0[0]) } == [10, 20, 30, 40, 50, 60], "\(reader): \(points ?? [])")
            #expect(points?.map { Float($0[1]) } == lines.map { ($0["loss"] as! NSNumber).floatValue }, "\(reader)")
        }
        // The step point at 30 from the killed attempt is superseded too: one point per step.
        #expect(scalars["step/loss"]?.map { Int($0[0]) } == [10, 20, 30, 40, 50, 60])
    }

    @Test("step points are the whole batch's: the loss averaged over the ranks and the norm of the averaged gradients, as with one rank")
    func stepPointsAcrossRanks() throws {
        // The same job on 1 and 2 ranks trains the same model up to float rounding in the sums
        // (each rank's half batch is summed apart), far below what one rank's half batch differs by.
        let tiny = try TinyRun(epochs: 2)
        var runs: [[String: [[Double]]]] = []
        for ranks in [1, 2] {
            let result = try tiny.train("run\(ranks)", ["--ranks", "\(ranks)"])
            try #require(result.status == 0, "\(result.output)")
            runs.append(try Self.read(tiny.dir + "/run\(ranks)").scalars)
        }
        for tag in ["step/loss", "step/grad_norm"] {
            let one = try #require(runs[0][tag]), two = try #require(runs[1][tag])
            #expect(one.map { $0[0] } == [10, 20] && two.map { $0[0] } == [10, 20], "\(tag)")
            for (a, b) in zip(one, two) {
                #expect(abs(a[1] - b[1]) <= 1e-3 * abs(a[1]), "\(tag) at step \(a[0]): \(a[1]) on 1 rank, \(b[1]) on 2")
            }
        }
    }
}
