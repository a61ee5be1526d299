// CheckpointStore: a run's checkpoints/ folder — atomic saves (temp folder, fsync, rename, then
// `latest` replaced atomically), listing, and pruning by the policy. Loading is in CheckpointLoader.
import Foundation
import Model

/// The checkpoints of one run, in `directory` (e.g. `runs/x/trial-0007/checkpoints`).
///
/// A save writes `step-NNNNNNNN/{model.safetensors, optimizer.safetensors, state.json,
/// state.sha256}` into a uniquely named `.tmp-step-…` folder, fsyncs each file and the folder,
/// moves it into place (a re-save of the same step swaps the two folders in one atomic rename, so
/// the step's name never goes missing), fsyncs `directory`, then replaces `latest` atomically.
/// A crash at any instant leaves `latest` naming a complete checkpoint (or absent before the
/// first save). One process writes to a store at a time (the run folder's owner).
public final class CheckpointStore {
    /// The tensor files of a checkpoint.
    public static let modelFile = "model.safetensors"
    public static let optimizerFile = "optimizer.safetensors"
    /// The state file of a checkpoint.
    public static let stateFile = "state.json"
    /// The SHA-256 (hex) of state.json, beside it (format version 2 on).
    public static let stateChecksumFile = "state.sha256"
    /// The file in `directory` naming the newest complete checkpoint.
    public static let latestFile = "latest"
    /// Every file a checkpoint folder written by this store may hold.
    public static let checkpointFiles: Set<String> = [modelFile, optimizerFile, stateFile, stateChecksumFile]

    /// The checkpoints folder.
    public let directory: String
    /// When to save and what to keep (default `CheckpointPolicy()`).
    public var policy: CheckpointPolicy
    /// Test hook: a save throws `CheckpointError` with code `.simulatedCrash` right after this
    /// step (a name in `CrashPoint.points["checkpoint"]`), leaving its files behind as a crash
    /// would (default nil; `RINGTRAIN_CRASH_AT=checkpoint:NAME:K` makes the process exit instead).
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

    /// Saves a checkpoint of `parameters` (laid out as `layout`), the model's non-trained
    /// `buffers` (written after the parameters in model.safetensors; default none) and the
    /// optimizer state, then removes stale temp folders and prunes by `policy`. Returns the
    /// folder name.
    @discardableResult
    public func save(layout: [ParameterEntry], parameters: UnsafeBufferPointer<Float>,
                     optimizerState: [(name: String, values: [Float])], optimizerStepCount: Int,
                     state: CheckpointState, buffers: [ModelBuffer] = []) throws -> String {
        precondition(layout.allSatisfy { $0.offset + $0.count <= parameters.count }, "layout exceeds the parameter buffer")
        if try CheckpointFiles.makeDirectoryDurably(directory) {
            try crashPoint("checkpoints-folder-synced")
        }
        try removeStaleTemporaries()
        let name = Self.folderName(step: state.globalStep)
        let temp = CheckpointFiles.temporaryName(name, in: directory)
        do {
            try CheckpointFiles.makeDirectory(temp)
            try crashPoint("temp-folder-created")

            var state = state
            state.formatVersion = CheckpointState.currentFormatVersion
            state.files[Self.modelFile] = try writeTensors(
                layout.map { SafetensorsSource(name: $0.name, shape: $0.shape, values: UnsafeBufferPointer(rebasing: parameters[$0.offset..<$0.offset + $0.count])) }
                    + buffers.map(\.safetensorsSource),
                metadata: ["format": "pt", "global_step": String(state.globalStep)], to: "\(temp)/\(Self.modelFile)")
            try crashPoint(Self.modelFile)
            state.files[Self.optimizerFile] = try withBuffers(optimizerState.map(\.values)[...], []) { buffers in
                try writeTensors(zip(optimizerState, buffers).map { SafetensorsSource(name: $0.0.name, shape: [$0.1.count], values: $0.1) },
                                 metadata: ["format": "pt", "step_count": String(optimizerStepCount)], to: "\(temp)/\(Self.optimizerFile)")
            }
            try crashPoint(Self.optimizerFile)
            let stateBytes = try state.encoded()
            try CheckpointFiles.writeSynced(stateBytes, to: "\(temp)/\(Self.stateFile)") { try crashPoint("state-written") }
            try crashPoint(Self.stateFile)
            try CheckpointFiles.writeSynced(Data((Self.sha256(stateBytes) + "\n").utf8), to: "\(temp)/\(Self.stateChecksumFile)")
            try crashPoint(Self.stateChecksumFile)
            try CheckpointFiles.syncDirectory(temp)
            try crashPoint("temp-folder-synced")

            let final = "\(directory)/\(name)"
            if FileManager.default.fileExists(atPath: final) {
                // Saving a step again (e.g. after resuming from an older checkpoint because this one
                // failed verification): swap the folders in one rename, so `step-N` always exists.
                if try CheckpointFiles.exchange(temp, final) {
                    try crashPoint("rename")
                    try CheckpointFiles.syncDirectory(directory)
                    try crashPoint("checkpoints-synced")
                    try CheckpointFiles.remove(temp)   // now the old folder
                    try crashPoint("old-removed")
                } else {
                    // No atomic swap on this file system: the old folder is moved aside first, and
                    // `latest` names nothing until the new one is in (README: what survives what).
                    let aside = CheckpointFiles.temporaryName("replaced-\(name)", in: directory)
                    try CheckpointFiles.rename(final, to: aside)
                    try CheckpointFiles.rename(temp, to: final)
                    try crashPoint("rename")
                    try CheckpointFiles.syncDirectory(directory)
                    try crashPoint("checkpoints-synced")
                    try CheckpointFiles.remove(aside)
                    try crashPoint("old-removed")
                }
            } else {
                try CheckpointFiles.rename(temp, to: final)
                try crashPoint("rename")
                try CheckpointFiles.syncDirectory(directory)
                try crashPoint("checkpoints-synced")
            }
            try CheckpointFiles.replaceAtomically(Data((name + "\n").utf8), name: Self.latestFile, in: directory,
                                                  point: crashPoint)
        } catch let error as CheckpointError where error.code == .io {
            // A failed write (e.g. the disk is full) takes its partial folder away with it.
            try? CheckpointFiles.remove(temp)
            throw CheckpointError(.io, checkpoint: name, file: error.file,
                                  "could not be saved: \(error.checkpoint): \(error.message); the previous checkpoints and latest are unchanged")
        }
        try prune()
        return name
    }

    /// Saves `parameters`' buffer and layout, the model's `buffers` (default none) and
    /// `optimizer`'s state (see the main `save`).
    @discardableResult
    public func save(parameters: ParameterStore, optimizer: Optimizer, state: CheckpointState,
                     buffers: [ModelBuffer] = []) throws -> String {
        precondition(optimizer.stateRange == 0..<parameters.count, "an optimizer keeping a shard of its state saves through Trainer.optimizerStateForCheckpoint")
        return try save(layout: parameters.entries, parameters: UnsafeBufferPointer(parameters.parameters.buffer),
                 optimizerState: optimizer.stateTensors(), optimizerStepCount: optimizer.stepCount, state: state,
                 buffers: buffers)
    }

    /// The checkpoint folders present, oldest (lowest step) first.
    public func list() -> [(name: String, step: Int)] {
        CheckpointFiles.contents(of: directory)
            .compactMap { name in Self.step(ofFolder: name).map { (name: name, step: $0) } }
            .sorted { ($0.step, $0.name) < ($1.step, $1.name) }
    }

    /// The step a resume starts from, as far as the folder names tell: the checkpoint `latest`
    /// names when its folder is there, else the newest checkpoint folder (resume takes the
    /// newest that verifies); nil when there is none.
    public func newestStep() -> Int? {
        let folders = list()
        if let named = latest(), let found = folders.first(where: { $0.name == named }) { return found.step }
        return folders.last?.step
    }

    /// The folder name `latest` holds, or nil if there is no readable `latest` file or it does
    /// not hold a checkpoint folder name (see `latestProblem`).
    public func latest() -> String? {
        try? readLatest()
    }

    /// Why `latest` names no checkpoint, or nil when it is absent or fine. Never quotes the
    /// file's contents (it may be a link to any file).
    public func latestProblem() -> String? {
        do { _ = try readLatest(); return nil } catch let error as CheckpointError { return error.message } catch { return "\(error)" }
    }

    private func readLatest() throws -> String? {
        guard let data = try CheckpointFiles.readSmall("\(directory)/\(Self.latestFile)", limit: 256) else { return nil }
        let name = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard Self.step(ofFolder: name) != nil else {
            throw CheckpointError(.corrupt, checkpoint: Self.latestFile, "does not hold a checkpoint folder name (step-NNNNNNNN)")
        }
        return name
    }

    /// Removes the checkpoints `policy` does not keep; returns their names.
    ///
    /// Metrics for `keepBest` come from each checkpoint's state.json (an unreadable one ranks
    /// nowhere). Only folders this store wrote are removed: a step-named folder holding anything
    /// but checkpoint files is left alone. A folder is first renamed to a `.tmp-` name, so a crash
    /// mid-removal leaves nothing that looks like a checkpoint.
    @discardableResult
    public func prune() throws -> [String] {
        let all = list().filter { isWrittenByStore($0.name) }.map { c -> (name: String, step: Int, metrics: [String: Double]) in
            let data = try? CheckpointFiles.readSmall("\(directory)/\(c.name)/\(Self.stateFile)", limit: Self.stateLimit)
            return (c.name, c.step, data.flatMap { try? CheckpointState.decode($0) }?.metrics ?? [:])
        }
        let keep = policy.retained(all, latest: latest())
        var removed: [String] = []
        for c in all where !keep.contains(c.name) {
            let doomed = CheckpointFiles.temporaryName("removing-\(c.name)", in: directory)
            try CheckpointFiles.rename("\(directory)/\(c.name)", to: doomed)
            try crashPoint("prune-renamed")
            try CheckpointFiles.remove(doomed)
            try crashPoint("prune-removed")
            removed.append(c.name)
        }
        if !removed.isEmpty {
            try CheckpointFiles.syncDirectory(directory)
            try crashPoint("prune-synced")
        }
        return removed
    }

    /// True when `name` is a folder holding only checkpoint files, state.json among them.
    func isWrittenByStore(_ name: String) -> Bool {
        let path = "\(directory)/\(name)"
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return false }
        let contents = Set(CheckpointFiles.contents(of: path))
        return contents.contains(Self.stateFile) && contents.isSubset(of: Self.checkpointFiles)
    }

    /// The lower-case hex SHA-256 of `data`.
    static func sha256(_ data: Data) -> String {
        let digest = StreamingDigest()
        data.withUnsafeBytes { digest.update($0) }
        return digest.hex()
    }

    /// Largest state.json read (1 MB).
    static let stateLimit = 1 << 20

    /// Removes the `.tmp-*` entries that crashed or interrupted saves of this store left behind.
    func removeStaleTemporaries() throws {
        let ours = [".tmp-step-", ".tmp-replaced-", ".tmp-removing-", ".tmp-latest-", ".tmp-adopting-"]
        for name in CheckpointFiles.contents(of: directory) where ours.contains(where: { name.hasPrefix($0) }) {
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

    /// A crash point of the save (listed in `CrashPoint.points["checkpoint"]`): the process ends
    /// here under `RINGTRAIN_CRASH_AT`, or the save throws here under `crashAfter`.
    private func crashPoint(_ step: String) throws {
        CrashPoint.pass("checkpoint", step)
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
