// CheckpointAdoption: a checkpoint of another run taken over as this run's only one — verified
// against its own state.json while it is copied (no model needed), written under a temporary
// name, fsynced and renamed in, `latest` naming it. Population-based training's exploit step.
import Foundation
import Model

extension CheckpointStore {
    /// Copies checkpoint `name` of `source` into this store and makes it the only one here,
    /// `latest` naming it. The source is checked as it is read: state.json against state.sha256,
    /// each file it lists against its size and SHA-256. Repeating it after a crash at any point
    /// gives the same folder; until it returns, `latest` may name nothing. Returns the copy's state.
    /// - Throws: `CheckpointError` (`.corrupt` naming the source's file, or `.io`).
    /// `afterRemoving` runs once this store's own checkpoints are gone and the copy is not yet in
    /// place (a crash point; default nothing).
    @discardableResult
    public func adopt(_ name: String, from source: CheckpointStore, afterRemoving: () throws -> Void = {}) throws -> CheckpointState {
        let from = "\(source.directory)/\(name)"
        let state = try Self.readState(folder: from, checkpoint: from)
        try CheckpointFiles.makeDirectoryDurably(directory)
        try removeStaleTemporaries()   // an earlier adoption cut short
        let temp = CheckpointFiles.temporaryName("adopting-\(name)", in: directory)
        do {
            try CheckpointFiles.makeDirectory(temp)
            for (file, recorded) in state.files.sorted(by: { $0.key < $1.key }) {
                try Self.copyVerified(file, from: from, to: temp, recorded: recorded, checkpoint: from)
            }
            for file in [Self.stateFile, Self.stateChecksumFile] {
                guard let data = try CheckpointFiles.readSmall("\(from)/\(file)", limit: Self.stateLimit) else { continue }
                try CheckpointFiles.writeSynced(data, to: "\(temp)/\(file)")
            }
            try CheckpointFiles.syncDirectory(temp)
            // Nothing of this run's own is left for a resume to fall back on.
            if FileManager.default.fileExists(atPath: "\(directory)/\(Self.latestFile)") {
                try CheckpointFiles.remove("\(directory)/\(Self.latestFile)")
            }
            for old in list() {
                let doomed = CheckpointFiles.temporaryName("removing-\(old.name)", in: directory)
                try CheckpointFiles.rename("\(directory)/\(old.name)", to: doomed)
                try CheckpointFiles.remove(doomed)
            }
            try afterRemoving()
            try CheckpointFiles.rename(temp, to: "\(directory)/\(name)")
            try CheckpointFiles.syncDirectory(directory)
            try CheckpointFiles.replaceAtomically(Data((name + "\n").utf8), name: Self.latestFile, in: directory)
        } catch {
            try? CheckpointFiles.remove(temp)
            throw error
        }
        return state
    }

    /// The state of checkpoint `name`, checked against its state.sha256 (its tensor files are not read).
    public func state(of name: String) throws -> CheckpointState {
        try Self.readState(folder: "\(directory)/\(name)", checkpoint: "\(directory)/\(name)")
    }

    /// Copies `file` of checkpoint folder `from` into `to` in chunks, hashing what it reads, and
    /// fsyncs the copy; the size and SHA-256 must be the ones state.json records.
    private static func copyVerified(_ file: String, from: String, to: String, recorded: CheckpointFileDigest,
                                     checkpoint: String) throws {
        func corrupt(_ message: String) -> CheckpointError { CheckpointError(.corrupt, checkpoint: checkpoint, file: file, message) }
        guard CheckpointFiles.size("\(from)/\(file)") == recorded.bytes else {
            throw corrupt("file is missing or not \(recorded.bytes) bytes as state.json records (truncated or modified?)")
        }
        guard let input = FileHandle(forReadingAtPath: "\(from)/\(file)") else { throw corrupt("cannot be opened") }
        defer { try? input.close() }
        let digest = StreamingDigest()
        var copied = 0
        do {
            try DurableFile.create("\(to)/\(file)") { output in
                while let chunk = try input.read(upToCount: 1 << 22), !chunk.isEmpty {
                    try chunk.withUnsafeBytes { bytes in
                        digest.update(bytes)
                        try output.write(bytes)
                    }
                    copied += chunk.count
                }
            }
        } catch let error as DurableFileError {
            throw CheckpointError(.io, checkpoint: error.path, error.problem)
        }
        guard copied == recorded.bytes, digest.hex() == recorded.sha256 else {
            throw corrupt("SHA-256 or size differs from what state.json records (data corrupted)")
        }
    }
}
