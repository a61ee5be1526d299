// CheckpointStore: a run's checkpoints/ folder — atomic saves (temp folder, fsync, rename, then
// `latest` replaced atomically), listing, and pruning by the policy. Loading is in CheckpointLoader.
import Foundation
import Model

/// The checkpoints of one run, in `directory` (e.g. `runs/x/trial-0007/checkpoints`).
///
/// A save writes `step-NNNNNNNN/{model.safetensors, optimizer.safetensors, state.json}` into
/// `.tmp-step-NNNNNNNN-<pid>`, fsyncs each file and the folder, renames it into place, fsyncs
/// `directory`, then replaces `latest` atomically. A crash at any instant leaves the previous
/// checkpoint complete and `latest` naming a complete checkpoint. One process writes to a
/// store at a time (rank 0).
public final class CheckpointStore {
    /// The tensor files of a checkpoint.
    public static let modelFile = "model.safetensors"
    public static let optimizerFile = "optimizer.safetensors"
    /// The state file of a checkpoint.
    public static let stateFile = "state.json"
    /// The file in `directory` naming the newest complete checkpoint.
    public static let latestFile = "latest"
    /// The environment variable that makes a save `_exit(86)` right after writing the named
    /// file (`model.safetensors`, `optimizer.safetensors`, `state.json`, `rename` or `latest`).
    public static let crashEnvironmentVariable = "RINGTRAIN_CHECKPOINT_CRASH_AFTER"

    /// The checkpoints folder.
    public let directory: String
    /// When to save and what to keep (default `CheckpointPolicy()`).
    public var policy: CheckpointPolicy
    /// Test hook: a save throws `CheckpointError` with code `.simulatedCrash` right after this
    /// step, leaving its files behind as a crash would (default nil; the environment variable
    /// above makes the process exit instead).
    public var crashAfter: String?

    /// A store over `directory` (created on the first save).
    public init(directory: String, policy: CheckpointPolicy = CheckpointPolicy()) {
        self.directory = directory
        self.policy = policy
    }

    /// The folder name for a global step: `step-` and the step, at least 8 digits.
    public static func folderName(step: Int) -> String {
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The step a folder name stands for, or nil if it is not a checkpoint folder name.
    public static func step(ofFolder name: String) -> Int? {
        guard name.hasPrefix("step-") else { return nil }
        let digits = name.dropFirst(5)
        guard digits.count >= 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// Saves a checkpoint of `parameters` (laid out as `layout`) and the optimizer state,
    /// then removes stale temp folders and prunes by `policy`. Returns the folder name.
    @discardableResult
    public func save(layout: [ParameterEntry], parameters: UnsafeBufferPointer<Float>,
                     optimizerState: [(name: String, values: [Float])], optimizerStepCount: Int,
                     state: CheckpointState) throws -> String {
        precondition(layout.allSatisfy { $0.offset + $0.count <= parameters.count }, "layout exceeds the parameter buffer")
        try CheckpointFiles.makeDirectory(directory)
        try removeStaleTemporaries()
        let name = Self.folderName(step: state.globalStep)
        let temp = "\(directory)/.tmp-\(name)-\(getpid())"
        try CheckpointFiles.makeDirectory(temp)

        var state = state
        state.files[Self.modelFile] = try writeTensors(
            layout.map { SafetensorsSource(name: $0.name, shape: $0.shape, values: UnsafeBufferPointer(rebasing: parameters[$0.offset..<$0.offset + $0.count])) },
            metadata: ["format": "pt", "global_step": String(state.globalStep)], to: "\(temp)/\(Self.modelFile)")
        try crashPoint(Self.modelFile)
        state.files[Self.optimizerFile] = try withBuffers(optimizerState.map(\.values)[...], []) { buffers in
            try writeTensors(zip(optimizerState, buffers).map { SafetensorsSource(name: $0.0.name, shape: [$0.1.count], values: $0.1) },
                             metadata: ["format": "pt", "step_count": String(optimizerStepCount)], to: "\(temp)/\(Self.optimizerFile)")
        }
        try crashPoint(Self.optimizerFile)
        try CheckpointFiles.writeSynced(try state.encoded(), to: "\(temp)/\(Self.stateFile)")
        try crashPoint(Self.stateFile)
        try CheckpointFiles.syncDirectory(temp)

        let final = "\(directory)/\(name)"
        if FileManager.default.fileExists(atPath: final) {
            // Saving the same step twice: move the old folder aside first (rename cannot replace
            // a non-empty folder); it is removed below, or as a stale temp by the next save.
            let aside = "\(directory)/.tmp-replaced-\(name)-\(getpid())"
            try CheckpointFiles.rename(final, to: aside)
            try CheckpointFiles.rename(temp, to: final)
            try CheckpointFiles.syncDirectory(directory)
            try CheckpointFiles.remove(aside)
        } else {
            try CheckpointFiles.rename(temp, to: final)
            try CheckpointFiles.syncDirectory(directory)
        }
        try crashPoint("rename")
        try CheckpointFiles.replaceAtomically(Data((name + "\n").utf8), name: Self.latestFile, in: directory)
        try crashPoint(Self.latestFile)
        try prune()
        return name
    }

    /// Saves `parameters`' buffer and layout and `optimizer`'s state (see the main `save`).
    @discardableResult
    public func save(parameters: ParameterStore, optimizer: Optimizer, state: CheckpointState) throws -> String {
        try save(layout: parameters.entries, parameters: UnsafeBufferPointer(parameters.parameters.buffer),
                 optimizerState: optimizer.stateTensors(), optimizerStepCount: optimizer.stepCount, state: state)
    }

    /// The checkpoint folders present, oldest (lowest step) first.
    public func list() -> [(name: String, step: Int)] {
        CheckpointFiles.contents(of: directory)
            .compactMap { name in Self.step(ofFolder: name).map { (name: name, step: $0) } }
            .sorted { ($0.step, $0.name) < ($1.step, $1.name) }
    }

    /// The folder name `latest` holds, or nil if there is no readable `latest` file.
    public func latest() -> String? {
        guard let data = try? CheckpointFiles.readSmall("\(directory)/\(Self.latestFile)", limit: 4096),
              let text = String(data: data, encoding: .utf8) else { return nil }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? nil : name
    }

    /// Removes the checkpoints `policy` does not keep; returns their names.
    ///
    /// Metrics for `keepBest` come from each checkpoint's state.json (an unreadable one ranks
    /// nowhere). A folder is first renamed to a `.tmp-` name, so a crash mid-removal leaves
    /// nothing that looks like a checkpoint.
    @discardableResult
    public func prune() throws -> [String] {
        let all = list().map { c -> (name: String, step: Int, metrics: [String: Double]) in
            let data = try? CheckpointFiles.readSmall("\(directory)/\(c.name)/\(Self.stateFile)", limit: Self.stateLimit)
            return (c.name, c.step, data.flatMap { try? CheckpointState.decode($0) }?.metrics ?? [:])
        }
        let keep = policy.retained(all, latest: latest())
        var removed: [String] = []
        for c in all where !keep.contains(c.name) {
            let doomed = "\(directory)/.tmp-removing-\(c.name)-\(getpid())"
            try CheckpointFiles.rename("\(directory)/\(c.name)", to: doomed)
            try CheckpointFiles.remove(doomed)
            removed.append(c.name)
        }
        if !removed.isEmpty { try CheckpointFiles.syncDirectory(directory) }
        return removed
    }

    /// Largest state.json read (1 MB).
    static let stateLimit = 1 << 20

    /// Removes `.tmp-*` entries that crashed or interrupted saves left behind.
    private func removeStaleTemporaries() throws {
        for name in CheckpointFiles.contents(of: directory) where name.hasPrefix(".tmp-") {
            try CheckpointFiles.remove("\(directory)/\(name)")
        }
    }

    /// Writes one safetensors file, hashing it as it goes.
    private func writeTensors(_ tensors: [SafetensorsSource], metadata: [String: String], to path: String) throws -> CheckpointFileDigest {
        let digest = StreamingDigest()
        do {
            let bytes = try SafetensorsWriter.write(tensors, metadata: metadata, to: path, sync: true, observe: digest.update)
            return CheckpointFileDigest(sha256: digest.hex(), bytes: bytes)
        } catch let error as SafetensorsError {
            throw CheckpointError(.io, checkpoint: (path as NSString).deletingLastPathComponent, file: (path as NSString).lastPathComponent, error.problem)
        }
    }

    /// The crash test hook: stops the save after `step` if asked to.
    private func crashPoint(_ step: String) throws {
        if ProcessInfo.processInfo.environment[Self.crashEnvironmentVariable] == step { _exit(86) }
        if crashAfter == step {
            throw CheckpointError(.simulatedCrash, checkpoint: directory, "save stopped after \(step) (test hook)")
        }
    }

    /// Calls `body` with buffer pointers to every array (nested, so each stays valid).
    private func withBuffers<R>(_ arrays: ArraySlice<[Float]>, _ done: [UnsafeBufferPointer<Float>],
                                _ body: ([UnsafeBufferPointer<Float>]) throws -> R) throws -> R {
        guard let first = arrays.first else { return try body(done) }
        return try first.withUnsafeBufferPointer { try withBuffers(arrays.dropFirst(), done + [$0], body) }
    }
}
