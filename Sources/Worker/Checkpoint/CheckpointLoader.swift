// CheckpointLoader: reads a checkpoint back and verifies everything on the way (sizes, headers,
// SHA-256, dtypes, shapes against the model layout and buffers, config hash); finds the newest valid one.
import Foundation
import Model

/// A verified checkpoint, read into memory.
public struct LoadedCheckpoint {
    /// Folder name, e.g. `step-00001200`.
    public var name: String
    /// Its state.json.
    public var state: CheckpointState
    /// Parameter values by layout name.
    public var parameters: [String: [Float]]
    /// Non-trained model buffers by name: F32 ones (running statistics) ...
    public var floatBuffers: [String: [Float]] = [:]
    /// ... and I64 ones (`num_batches_tracked`).
    public var integerBuffers: [String: [Int64]] = [:]
    /// Optimizer state tensors by name (as `Optimizer.restoreState` takes them).
    public var optimizerTensors: [String: [Float]]
    /// The optimizer's step count.
    public var optimizerStepCount: Int
    /// True when the config hash differs and the caller accepted that.
    public var configChanged: Bool
    /// True when the checkpoint's config hash is in an earlier version's form, which cannot be
    /// compared with the current one, so whether the config changed was not checked.
    public var configCheckSkipped = false
    /// Newer checkpoints `loadNewestValid` passed over, with reasons (empty for `load`).
    public var skipped: [SkippedCheckpoint]

    /// Copies the parameters into `store`'s flat buffer (the layout was verified on load).
    public func copyParameters(into store: ParameterStore) {
        for entry in store.entries {
            guard let values = parameters[entry.name], values.count == entry.count else {
                preconditionFailure("checkpoint has no tensor \(entry.name) of \(entry.count) values")
            }
            values.withUnsafeBufferPointer { _ = store.view(entry).value.update(fromContentsOf: $0) }
        }
    }
}

extension CheckpointStore {
    /// Loads and verifies the checkpoint in folder `name`.
    ///
    /// - Parameters:
    ///   - layout: the model's expected tensors; names and shapes must match exactly, and each
    ///     optimizer tensor must be 1-D with as many values as the layout has parameters.
    ///   - buffers: the model's non-trained buffers (default none), expected in model.safetensors
    ///     beside the parameters with the same names, shapes and dtypes.
    ///   - configHash: the current config's hash; nil skips the check (default nil).
    ///   - acceptConfigChange: load even if the config hash differs (default false); the
    ///     result's `configChanged` says so. A changed layout is never accepted.
    ///   - bounds: the job's epochs and data, which the saved position must fit (default nil:
    ///     only the checks state.json allows on its own).
    /// - Throws: `CheckpointError` naming the file (and for state.json the field) and what is wrong.
    public func load(_ name: String, layout: [ParameterEntry], buffers: [ModelBuffer] = [], configHash: String? = nil,
                     acceptConfigChange: Bool = false, bounds: CheckpointState.Bounds? = nil) throws -> LoadedCheckpoint {
        let folder = "\(directory)/\(name)"
        func corrupt(_ file: String?, _ message: String) -> CheckpointError {
            CheckpointError(.corrupt, checkpoint: name, file: file, message)
        }
        guard Self.step(ofFolder: name) != nil else { throw corrupt(nil, "is not a checkpoint folder name (step-NNNNNNNN)") }
        var folderInfo = stat()
        guard lstat(folder, &folderInfo) == 0, (folderInfo.st_mode & S_IFMT) == S_IFDIR else {
            throw corrupt(nil, "is missing or not a folder")
        }
        let state = try Self.readState(folder: folder, checkpoint: name)
        if let bounds {
            do { try state.check(against: bounds) } catch let error as CheckpointStateFieldError {
                throw corrupt(Self.stateFile, "\(error) for this job")
            }
        }
        var configChanged = false, configCheckSkipped = false
        // Checked once the model header shows the layout matches, so a changed shape wins.
        let checkConfig = {
            guard let configHash, state.configHash != configHash else { return }
            if Self.isEarlierConfigHash(state.configHash) && !Self.isEarlierConfigHash(configHash) {
                configCheckSkipped = true
                return
            }
            guard acceptConfigChange else {
                throw CheckpointError(.configChanged, checkpoint: name,
                    "the config changed since this checkpoint (hash \(state.configHash), now \(configHash)) but the model's shape did not",
                    configHashes: (state.configHash, configHash))
            }
            configChanged = true
        }
        let parameterCount = layout.reduce(0) { $0 + $1.count }
        // Parameters in layout order, then the buffers: the first difference is the one reported.
        let tensors = layout.map { (name: $0.name, shape: $0.shape, dtype: SafetensorsDType.f32) }
            + buffers.map { (name: $0.name, shape: $0.shape, dtype: $0.dtype) }
        let expected = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.shape) })
        let model = try readVerified(Self.modelFile, in: folder, checkpoint: name, state: state) { reader in
            for entry in reader.entries where expected[entry.name] == nil {
                throw CheckpointError(.layoutMismatch, checkpoint: name, file: Self.modelFile,
                                      "tensor '\(entry.name)' is not in the model's layout (the config changed the model's shape)")
            }
            for (itemName, shape, dtype) in tensors {
                guard let entry = reader.entry(named: itemName) else {
                    throw CheckpointError(.layoutMismatch, checkpoint: name, file: Self.modelFile,
                                          "tensor '\(itemName)' is missing (the config changed the model's shape)")
                }
                guard entry.shape == shape else {
                    throw CheckpointError(.layoutMismatch, checkpoint: name, file: Self.modelFile,
                        "tensor '\(itemName)' has shape \(entry.shape), the model expects \(shape) (the config changed the model's shape)")
                }
                guard entry.dtype == dtype else {
                    throw corrupt(Self.modelFile, "tensor '\(itemName)' has dtype \(entry.dtype.rawValue), the model keeps it as \(dtype.rawValue)")
                }
            }
            try checkConfig()
        }
        let optimizer = try readVerified(Self.optimizerFile, in: folder, checkpoint: name, state: state) { reader in
            for entry in reader.entries where entry.dtype != .f32 {
                throw corrupt(Self.optimizerFile, "optimizer tensor '\(entry.name)' has dtype \(entry.dtype.rawValue), expected F32")
            }
            for entry in reader.entries where entry.shape != [parameterCount] {
                throw CheckpointError(.layoutMismatch, checkpoint: name, file: Self.optimizerFile,
                    "optimizer tensor '\(entry.name)' has shape \(entry.shape), expected [\(parameterCount)] (the model's parameter count changed)")
            }
        }
        guard let text = optimizer.metadata["step_count"], let stepCount = Int(text), stepCount >= 0 else {
            throw corrupt(Self.optimizerFile, "__metadata__ has no valid step_count")
        }
        var loaded = LoadedCheckpoint(name: name, state: state, parameters: model.tensors, optimizerTensors: optimizer.tensors,
                                      optimizerStepCount: stepCount, configChanged: configChanged,
                                      configCheckSkipped: configCheckSkipped, skipped: [])
        try loaded.takeBuffers(buffers, from: model, checkpoint: name)
        return loaded
    }

    /// True for a config hash in the form versions before `v2-` hashes recorded (FNV-1a of their
    /// YAML text: 1–16 lower-case hex digits, no prefix).
    public static func isEarlierConfigHash(_ hash: String) -> Bool {
        (1...16).contains(hash.count) && hash.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    /// Reads and checks state.json of `folder`: against state.sha256 when present (required from
    /// format version 2 on), then every field (`CheckpointState.decode`).
    static func readState(folder: String, checkpoint name: String) throws -> CheckpointState {
        func corrupt(_ file: String, _ message: String) -> CheckpointError {
            CheckpointError(.corrupt, checkpoint: name, file: file, message)
        }
        let stateData: Data
        let checksumData: Data?
        do {
            guard let data = try CheckpointFiles.readSmall("\(folder)/\(stateFile)", limit: stateLimit) else {
                throw corrupt(stateFile, "file is missing")
            }
            stateData = data
            checksumData = try CheckpointFiles.readSmall("\(folder)/\(stateChecksumFile)", limit: 256)
        } catch let error as CheckpointError where error.code == .corrupt && error.file == nil {
            throw corrupt((error.checkpoint as NSString).lastPathComponent, error.message)
        }
        if let checksumData {
            let recorded = String(decoding: checksumData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard recorded == sha256(stateData) else {
                throw corrupt(stateFile, "SHA-256 differs from the one in \(stateChecksumFile) (state.json was edited or corrupted)")
            }
        }
        let state: CheckpointState
        do { state = try CheckpointState.decode(stateData) } catch let error as CheckpointStateFieldError {
            throw corrupt(stateFile, "\(error)")
        }
        if checksumData == nil && state.formatVersion >= 2 {
            throw corrupt(stateChecksumFile, "file is missing (format version \(state.formatVersion) checkpoints have one)")
        }
        return state
    }

    /// Loads the newest checkpoint that verifies: the one `latest` names first, then the other
    /// step folders newest first. Each one that fails is listed in the result's `skipped`.
    ///
    /// Parameters as for `load`. Throws `CheckpointError` with code `.noCheckpoint` when there
    /// is none at all, or `.noValidCheckpoint` (listing every reason) when none verifies.
    public func loadNewestValid(layout: [ParameterEntry], buffers: [ModelBuffer] = [], configHash: String? = nil,
                                acceptConfigChange: Bool = false, bounds: CheckpointState.Bounds? = nil) throws -> LoadedCheckpoint {
        var skipped: [SkippedCheckpoint] = []
        var candidates = list().reversed().map(\.name)
        if let latest = latest() {
            if let index = candidates.firstIndex(of: latest) {
                candidates.remove(at: index)
                candidates.insert(latest, at: 0)
            } else {
                skipped.append(SkippedCheckpoint(name: Self.latestFile, reason: "names \(latest), which is not a checkpoint folder here", code: .corrupt))
            }
        } else if let problem = latestProblem() {
            skipped.append(SkippedCheckpoint(name: Self.latestFile, reason: problem, code: .corrupt))
        }
        for name in candidates {
            do {
                var loaded = try load(name, layout: layout, buffers: buffers, configHash: configHash, acceptConfigChange: acceptConfigChange,
                                      bounds: bounds)
                loaded.skipped = skipped
                return loaded
            } catch let error as CheckpointError {
                skipped.append(SkippedCheckpoint(name: name, reason: error.fileAndMessage, code: error.code))
            }
        }
        guard !candidates.isEmpty else {
            throw CheckpointError(.noCheckpoint, checkpoint: directory, "no checkpoint found")
        }
        throw CheckpointError(.noValidCheckpoint, checkpoint: directory,
                              "none of the \(candidates.count) checkpoints verified", skipped: skipped)
    }

    /// Opens one tensor file of a checkpoint, checks its size against state.json, lets `check`
    /// inspect the header, then reads the data while hashing and compares the SHA-256.
    private func readVerified(_ file: String, in folder: String, checkpoint: String, state: CheckpointState,
                              check: (SafetensorsReader) throws -> Void) throws -> VerifiedTensors {
        func corrupt(_ message: String) -> CheckpointError {
            CheckpointError(.corrupt, checkpoint: checkpoint, file: file, message)
        }
        let path = "\(folder)/\(file)"
        guard let recorded = state.files[file] else { throw corrupt("state.json records no checksum for this file") }
        guard let size = CheckpointFiles.size(path) else { throw corrupt("file is missing (or is not a regular file)") }
        guard size == recorded.bytes else {
            throw corrupt("file is \(size) bytes, state.json records \(recorded.bytes) (truncated or modified?)")
        }
        let digest = StreamingDigest()
        do {
            let reader = try SafetensorsReader(path: path, observe: digest.update)
            try check(reader)
            let (tensors, integers) = try reader.readAllTensors()
            let sha = digest.hex()
            guard sha == recorded.sha256 else {
                throw corrupt("SHA-256 is \(sha), state.json records \(recorded.sha256) (data corrupted)")
            }
            return VerifiedTensors(tensors: tensors, integers: integers, metadata: reader.metadata)
        } catch let error as SafetensorsError {
            throw CheckpointError.corrupt(error, checkpoint: checkpoint)
        }
    }
}

/// The tensors of one verified checkpoint file: F32 ones, I64 ones, and the metadata.
struct VerifiedTensors {
    var tensors: [String: [Float]]
    var integers: [String: [Int64]]
    var metadata: [String: String]
}

extension CheckpointError {
    /// The message with the file in front, for lists of skipped checkpoints.
    var fileAndMessage: String { file.map { "\($0): \(message)" } ?? message }
}
