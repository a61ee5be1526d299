// Output paths: a file the user names for `timeline --output`, `report --output` or `sbatch --write`
// keeps its symbolic link (the target is replaced) and its device node or FIFO (written in place);
// a folder, or a script that cannot be written, gets an error naming it.
import Foundation
import Testing

@Suite struct OutputPathTests {
    /// Reads everything a FIFO receives, on a thread of its own, until its writer closes it.
    final class FIFOReader: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ path: String) {
            Thread.detachNewThread { [self] in
                if let handle = FileHandle(forReadingAtPath: path) { data = handle.readDataToEndOfFile() }
                done.signal()
            }
        }
        func text() -> String { done.wait(); return String(decoding: data, as: UTF8.self) }
    }

    @Test func timelineOutputKeepsLinksAndFIFOs() throws {
        let tiny = try TinyRun(epochs: 1)
        let trained = try tiny.train("run", ["--ranks", "1", "--timeline"])
        try #require(trained.status == 0, "\(trained.output)")
        let run = tiny.dir + "/run"
        // Through a link: the link stays, its target holds the trace.
        try FileManager.default.createSymbolicLink(atPath: tiny.dir + "/link.json", withDestinationPath: tiny.dir + "/target.json")
        let linked = try TinyRun.ringtrain(["timeline", run, "--output", tiny.dir + "/link.json"])
        #expect(linked.status == 0, "\(linked.output)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: tiny.dir + "/link.json") == tiny.dir + "/target.json")
        let trace = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tiny.dir + "/target.json"))) as? [String: Any]
        #expect(trace?["traceEvents"] != nil)
        // Into a FIFO: a reader receives the whole trace; the FIFO is still one.
        let fifo = tiny.dir + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = FIFOReader(fifo)
        let piped = try TinyRun.ringtrain(["timeline", run, "--output", fifo])
        #expect(piped.status == 0, "\(piped.output)")
        let received = reader.text()
        #expect((try? JSONSerialization.jsonObject(with: Data(received.utf8))) != nil, "\(received.prefix(200))")
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        // To standard output: the trace alone, loadable; the summary goes to standard error.
        for json in [false, true] {
            let streamed = try TinyRun.ringtrain(["timeline", run, "--output", "/dev/stdout"] + (json ? ["--json"] : []))
            #expect(streamed.status == 0, "\(streamed.output)")
            let parsed = try? JSONSerialization.jsonObject(with: Data(streamed.stdout.utf8)) as? [String: Any]
            #expect(parsed?["traceEvents"] != nil, "\(streamed.stdout.prefix(200))")
            #expect(streamed.stderr.contains(json ? "\"trace\"" : "timeline: /dev/stdout"), "\(streamed.stderr)")
        }
        // A folder: an error that names it, and nothing written inside.
        let folder = try TinyRun.ringtrain(["timeline", run, "--output", tiny.dir])
        #expect(folder.status == 2 && folder.stderr.contains(tiny.dir) && folder.stderr.contains("is a folder"), "\(folder.output)")
    }

    @Test func sbatchScriptThatCannotBeWrittenIsNamed() throws {
        let tiny = try TinyRun(epochs: 1)
        let result = try TinyRun.ringtrain(["sbatch", tiny.config, "--run-dir", tiny.dir + "/never", "--write", tiny.dir + "/missing/job.sh"])
        #expect(result.status == 2 && result.stderr.contains("missing/job.sh") && result.stderr.contains("cannot write the batch script"),
                "\(result.output)")
        // The run folder it claimed for the job's log is given back.
        #expect(!FileManager.default.fileExists(atPath: tiny.dir + "/never"))
        // Through a link: the script lands in the target, executable; the link stays.
        try FileManager.default.createSymbolicLink(atPath: tiny.dir + "/job.sh", withDestinationPath: tiny.dir + "/real.sh")
        let written = try TinyRun.ringtrain(["sbatch", tiny.config, "--run-dir", tiny.dir + "/run", "--write", tiny.dir + "/job.sh"])
        #expect(written.status == 0, "\(written.output)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: tiny.dir + "/job.sh") == tiny.dir + "/real.sh")
        #expect(try String(contentsOfFile: tiny.dir + "/real.sh", encoding: .utf8).hasPrefix("#!"))
        #expect(FileManager.default.isExecutableFile(atPath: tiny.dir + "/real.sh"))
    }
}

@Suite struct BenchCheckpointDirTests {
    @Test func aFileAsTheFolderIsRefused() throws {
        let binary = try #require(BuiltBinary.ringtrain)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-dir-file-\(UUID().uuidString)").path
        try "x".write(toFile: file, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try ProcessRunner.run(binary, ["bench", "checkpoint", "--size-mb", "1", "--dir", file])
        #expect(result.status == 2 && result.stderr.contains("is a file; give a folder"), "\(result.output)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "x")
    }
}

@Suite struct SpecialDataFileTests {
    @Test func aFIFOAsTheDataFileIsRefusedWithoutWaiting() throws {
        let tiny = try TinyRun(epochs: 1)
        let fifo = tiny.dir + "/fifo.csv"
        #expect(mkfifo(fifo, 0o600) == 0)
        let config = try String(contentsOfFile: tiny.config, encoding: .utf8).replacingOccurrences(of: "train.csv", with: "fifo.csv")
        try config.write(toFile: tiny.dir + "/fifo.yaml", atomically: false, encoding: .utf8)
        let result = try TinyRun.ringtrain(["validate", tiny.dir + "/fifo.yaml"], timeout: 60)
        #expect(!result.timedOut && result.status == 2 && result.stderr.contains("fifo.csv") && result.stderr.contains("FIFO"),
                "\(result.output)")
    }
}
