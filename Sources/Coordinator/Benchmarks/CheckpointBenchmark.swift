// CheckpointBenchmark: checkpoint save and load throughput beside the raw sequential write speed
// of the same disk (same folder, same size, with fsync) — what `ringtrain bench checkpoint` prints.
import Foundation
import Model
import Worker

/// One measured model size.
public struct CheckpointBenchmarkResult: Sendable {
    /// Parameter bytes of the model, in MB (2^20 bytes).
    public var sizeMB: Int
    /// Median MB/s of a full checkpoint save (files, fsyncs, renames, `latest`, pruning).
    public var saveMBs: Double
    /// Median MB/s of a verified load (headers, SHA-256, shapes) from the page cache.
    public var loadMBs: Double
    /// Median MB/s of writing the same bytes to one file in the same folder, then fsync.
    public var diskWriteMBs: Double
    /// Repetitions the medians are over.
    public var repeats: Int

    public var json: [String: Any] {
        ["size_mb": sizeMB, "save_mb_s": saveMBs, "load_mb_s": loadMBs, "disk_write_mb_s": diskWriteMBs,
         "save_fraction_of_disk": saveMBs / diskWriteMBs, "repeats": repeats]
    }
}

/// Measures checkpoint save/load against raw disk writes, interleaved, with medians.
public enum CheckpointBenchmark {
    /// A model of `sizeMB` MB as 4 MB `[1024, 1024]` weight tensors (plus one remainder),
    /// filled with non-constant values.
    public static func model(sizeMB: Int) -> ParameterStore {
        let floats = sizeMB << 18
        var layout: [(name: String, shape: [Int])] = []
        for i in 0..<(floats >> 20) { layout.append(("layer\(i).weight", [1024, 1024])) }
        if floats & ((1 << 20) - 1) != 0 { layout.append(("tail.weight", [floats & ((1 << 20) - 1)])) }
        let store = ParameterStore(layout: layout)
        for i in 0..<store.count { store.parameters.pointer[i] = Float(i % 9973) * 1e-3 }
        return store
    }

    /// Runs `repeats` rounds of (raw write, checkpoint save, checkpoint load) in `directory`
    /// (created, and emptied of this benchmark's files afterwards) and returns the medians.
    public static func measure(sizeMB: Int, repeats: Int, directory: String) throws -> CheckpointBenchmarkResult {
        precondition(sizeMB > 0 && repeats > 0, "size and repeats must be positive")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let checkpoints = directory + "/checkpoints"
        let rawPath = directory + "/raw-write.bin"
        defer {
            try? FileManager.default.removeItem(atPath: checkpoints)
            try? FileManager.default.removeItem(atPath: rawPath)
        }
        let parameters = model(sizeMB: sizeMB)
        let store = CheckpointStore(directory: checkpoints, policy: CheckpointPolicy(keepLast: 1))
        let megabytes = Double(sizeMB)
        var raw: [Double] = [], save: [Double] = [], load: [Double] = []
        for round in 0..<repeats {
            raw.append(megabytes / (try Stopwatch.seconds { try rawWrite(parameters.parameters.buffer, to: rawPath) }))
            try FileManager.default.removeItem(atPath: rawPath)
            let state = CheckpointState(position: TrainingPosition(globalStep: round + 1), learningRate: 0.1, seed: 1,
                                        worldSize: 1, configHash: "bench")
            var name = ""
            save.append(megabytes / (try Stopwatch.seconds {
                name = try store.save(layout: parameters.entries, parameters: UnsafeBufferPointer(parameters.parameters.buffer),
                                      optimizerState: [], optimizerStepCount: round + 1, state: state)
            }))
            load.append(megabytes / (try Stopwatch.seconds { _ = try store.load(name, layout: parameters.entries, configHash: "bench") }))
        }
        return CheckpointBenchmarkResult(sizeMB: sizeMB, saveMBs: median(save), loadMBs: median(load),
                                         diskWriteMBs: median(raw), repeats: repeats)
    }

    /// Writes `values` to a new file at `path` in 4 MB chunks (the checkpoint writer's chunk
    /// size), then fsyncs and closes it: the durable write without the rename.
    static func rawWrite(_ values: UnsafeMutableBufferPointer<Float>, to path: String) throws {
        let raw = UnsafeRawBufferPointer(values)
        try DurableFile.create(path) { file in
            var done = 0
            while done < raw.count {
                let chunk = min(4 << 20, raw.count - done)
                try file.write(UnsafeRawBufferPointer(rebasing: raw[done..<done + chunk]))
                done += chunk
            }
        }
    }
}
