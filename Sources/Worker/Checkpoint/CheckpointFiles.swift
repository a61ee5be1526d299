// CheckpointFiles: the file-system steps a crash-safe checkpoint needs — synced writes, folder
// fsyncs and atomic small-file replaces (all through DurableFile), rename and exchange, bounded
// small reads — and streaming SHA-256.
import Crypto
import Foundation
import Model

/// POSIX file operations for the checkpoint store; failures become `CheckpointError.io`.
public enum CheckpointFiles {
    /// Creates `path` (and missing parents) if it does not exist.
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(.io, checkpoint: path, "cannot create the folder: \(error.fileErrorText)")
        }
    }

    /// Creates the folder `path` if it is missing and fsyncs its parent, so the new folder's
    /// name survives a crash. Returns true when it created the folder.
    @discardableResult
    static func makeDirectoryDurably(_ path: String) throws -> Bool {
        var info = stat()
        if stat(path, &info) == 0 { return false }
        try makeDirectory(path)
        try syncDirectory((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
        return true
    }

    /// Swaps the names `a` and `b` atomically (renameat2 with RENAME_EXCHANGE); false when the
    /// file system cannot (then nothing changed).
    static func exchange(_ a: String, _ b: String) throws -> Bool {
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let exchangeFlag: UInt32 = 2   // RENAME_EXCHANGE
        guard renameat2(AT_FDCWD, a, AT_FDCWD, b, exchangeFlag) == 0 else {
            if errno == EINVAL || errno == ENOSYS || errno == ENOTSUP { return false }
            throw ioError("exchange with \(b)", a)
        }
        return true
    }

    /// fsyncs a folder so the names created, renamed or removed in it are durable.
    static func syncDirectory(_ path: String) throws {
        try durably { try DurableFile.syncFolder(path) }
    }

    /// Renames `from` to `to` (atomic within one file system).
    static func rename(_ from: String, to: String) throws {
        guard Foundation.rename(from, to) == 0 else { throw ioError("rename to \(to)", from) }
    }

    /// Writes `data` to a new file at `path` and fsyncs it; `afterWrite` runs between the write
    /// and the fsync (a crash point).
    static func writeSynced(_ data: Data, to path: String, afterWrite: () throws -> Void = {}) throws {
        try durably {
            try DurableFile.write(data, to: path) { step in if step == .written { try afterWrite() } }
        }
    }

    /// A temporary name in `directory` no other writer uses: `.tmp-<base>-<pid>-<counter>`.
    static func temporaryName(_ base: String, in directory: String) -> String {
        DurableFile.temporaryPath(for: base, in: directory)
    }

    /// Replaces the file `name` in `directory` atomically (`DurableFile.replace`: temp file,
    /// fsync, rename, fsync folder), with `point` called after each step ("-written" (synced),
    /// "" (renamed), "-synced").
    static func replaceAtomically(_ data: Data, name: String, in directory: String,
                                  point: (String) throws -> Void = { _ in }) throws {
        try durably {
            try DurableFile.replace("\(directory)/\(name)", with: data) { step in
                switch step {
                case .written: break
                case .synced: try point("\(name)-written")
                case .renamed: try point(name)
                case .folderSynced: try point("\(name)-synced")
                }
            }
        }
    }

    /// The contents of a small regular file (symbolic links are not followed), or nil if there
    /// is none; throws if it is larger than `limit` or not a regular file.
    public static func readSmall(_ path: String, limit: Int) throws -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw CheckpointError(.corrupt, checkpoint: path, errno == ELOOP ? "is a symbolic link (not followed)" : "cannot be opened: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw CheckpointError(.corrupt, checkpoint: path, "is not a regular file")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
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
            throw CheckpointError(.io, checkpoint: path, "cannot remove: \(error.fileErrorText)")
        }
    }

    /// The size of the regular file at `path`, or nil if there is none (or it is a link).
    static func size(_ path: String) -> Int? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Runs a durable write, turning its failure into `CheckpointError.io` naming the file.
    private static func durably(_ body: () throws -> Void) throws {
        do { try body() } catch let error as DurableFileError {
            throw CheckpointError(.io, checkpoint: error.path, error.problem)
        }
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
