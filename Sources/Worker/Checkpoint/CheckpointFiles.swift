// CheckpointFiles: the file-system steps a crash-safe checkpoint needs — fsync of files and
// folders, rename, atomic small-file replace, bounded small reads — and streaming SHA-256.
import Crypto
import Foundation

/// POSIX file operations for the checkpoint store; failures become `CheckpointError.io`.
enum CheckpointFiles {
    /// Creates `path` (and missing parents) if it does not exist.
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(.io, checkpoint: path, "cannot create the folder: \(error.localizedDescription)")
        }
    }

    /// fsyncs a folder so the names created, renamed or removed in it are durable.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("open the folder", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError("fsync the folder", path) }
    }

    /// Renames `from` to `to` (atomic within one file system).
    static func rename(_ from: String, to: String) throws {
        guard Foundation.rename(from, to) == 0 else { throw ioError("rename to \(to)", from) }
    }

    /// Writes `data` to a new file at `path` and fsyncs it.
    static func writeSynced(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError("create the file", path) }
        defer { close(fd) }
        try data.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw ioError("write", path) }
                done += n
            }
        }
        guard fsync(fd) == 0 else { throw ioError("fsync", path) }
    }

    /// Replaces the file `name` in `directory` atomically: temp file, fsync, rename, fsync folder.
    static func replaceAtomically(_ data: Data, name: String, in directory: String) throws {
        let temp = "\(directory)/.tmp-\(name)-\(getpid())"
        try writeSynced(data, to: temp)
        try rename(temp, to: "\(directory)/\(name)")
        try syncDirectory(directory)
    }

    /// The contents of a small file, or nil if it does not exist; throws if it is larger than `limit`.
    static func readSmall(_ path: String, limit: Int) throws -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else {
            throw CheckpointError(.corrupt, checkpoint: path, "file is larger than \(limit) bytes")
        }
        return data
    }

    /// Names in `directory` (empty if it does not exist).
    static func contents(of directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    /// Removes a file or folder tree.
    static func remove(_ path: String) throws {
        do { try FileManager.default.removeItem(atPath: path) } catch {
            throw CheckpointError(.io, checkpoint: path, "cannot remove: \(error.localizedDescription)")
        }
    }

    /// The size of the file at `path`, or nil if there is none.
    static func size(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    private static func ioError(_ operation: String, _ path: String) -> CheckpointError {
        CheckpointError(.io, checkpoint: path, "cannot \(operation): \(String(cString: strerror(errno)))")
    }
}

/// A SHA-256 fed chunk by chunk, in order, while a file is written or read.
final class StreamingDigest: @unchecked Sendable {  // used by one thread at a time
    private var hasher = SHA256()

    /// Adds bytes to the hash.
    func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }

    /// The lower-case hex digest of everything added.
    func hex() -> String {
        hasher.finalize().map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
        }.joined()
    }
}
