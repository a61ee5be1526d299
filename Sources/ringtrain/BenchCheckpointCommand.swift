// BenchCheckpointCommand: `ringtrain bench checkpoint` — checkpoint save and load MB/s for a model
// of a given size, beside the raw sequential write speed of the same disk measured in the same run.
import ArgumentParser
import Coordinator
import Foundation
import Worker

struct BenchCheckpoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Checkpoint save/load throughput against this disk's raw write speed.")

    @Option(name: .customLong("size-mb"), parsing: .unconditional, help: "Model size in MB (parameters only).")
    var sizeMB: Int = 256

    @Option(parsing: .unconditional, help: "Timed repetitions; medians are reported.")
    var repeats: Int = 5

    @Option(help: "Folder to write under: the benchmark makes a new folder inside it and removes it afterwards, touching nothing else (default: the system temp folder).")
    var dir: String?

    @Flag(help: "One JSON object per row.")
    var json = false

    func validate() throws {
        guard sizeMB >= 1 else { throw ValidationError("--size-mb must be at least 1") }
        // The parameters and the checkpoint read back are both held in memory.
        let memoryMB = Int(min(ProcessInfo.processInfo.physicalMemory >> 20, UInt64(Int.max)))
        guard sizeMB <= memoryMB / 2 else {
            throw ValidationError("--size-mb \(sizeMB) needs about twice that in memory; this machine has \(memoryMB) MB (at most \(memoryMB / 2))")
        }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        if let dir {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir, isDirectory: &isFolder), !isFolder.boolValue {
                throw ValidationError("--dir \(dir) is a file; give a folder to write under")
            }
            if dir.isEmpty { throw ValidationError("--dir is empty; give a folder to write under") }
        }
    }

    func run() throws {
        try exitOnUserError {
            // A folder of its own, so that a --dir holding a run's checkpoints loses nothing.
            let folder = (dir.map { $0 + "/" } ?? NSTemporaryDirectory()) + "ringtrain-bench-checkpoint-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let r = try CheckpointBenchmark.measure(sizeMB: sizeMB, repeats: repeats, directory: folder)
            if json {
                Swift.print(jsonLine(r.json.merging(["machine": Machine.current.json]) { a, _ in a }))
                return
            }
            Swift.print(Machine.current.line)
            var table = TextTable(headers: ["size MB", "save MB/s", "load MB/s", "disk write MB/s", "save of disk"])
            table.add(["\(r.sizeMB)", String(format: "%.0f", r.saveMBs), String(format: "%.0f", r.loadMBs),
                       String(format: "%.0f", r.diskWriteMBs), String(format: "%.1f%%", 100 * r.saveMBs / r.diskWriteMBs)])
            Swift.print(table.rendered)
            Swift.print("(medians of \(repeats) repetitions in \(folder); save includes SHA-256, fsync of files and folders, "
                        + "rename and `latest`; load verifies headers, shapes and SHA-256 from the page cache; "
                        + "disk write is the same bytes to one file with fsync)")
        }
    }
}
