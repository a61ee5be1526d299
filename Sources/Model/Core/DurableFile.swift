// DurableFile: the one durable write of the project — bytes written whole (short writes and
// EINTR retried), fsynced, and for a replacement a temporary file in the same folder renamed over
// the target and the folder fsynced, so a crash leaves the old file or the new one, never a mix;
// a file another writer finished (the sweep store) is published the same way.
import Foundation
import Synchronization

/// Crash-safe file writes: every run-folder file, checkpoint file and safetensors file goes
/// through here.
public enum DurableFile {
    /// The steps of a write, reported to the caller's `step` hook right after each is done (crash
    /// points and phase timings hang on them). An error the hook throws passes through untouched
    /// and leaves the files as they are at that step, as a crash there would.
    public enum Step: Sendable, Equatable {
        /// Every byte is in the file; it is not yet fsynced.
        case written
        /// The file is fsynced and closed.
        case synced
        /// The temporary file has been renamed over the target (`replace` only).
        case renamed
        /// The target's folder is fsynced, so the new name survives a crash (`replace` only).
        case folderSynced
    }

    /// An open file that `create` hands to its body.
    public struct Output {
        /// The file being written.
        public let path: String
        let fd: Int32
        /// The path errors name (the target of a replacement, not its temporary file).
        let reportedPath: String

        /// Appends all of `bytes`, retrying short writes and EINTR.
        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard var next = bytes.baseAddress else { return }
            var left = bytes.count
            while left > 0 {
                let n = Foundation.write(fd, next, min(left, 1 << 30))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw DurableFileError(path: reportedPath, operation: "write", code: n < 0 ? errno : EIO) }
                left -= n
                next += n
            }
        }
    }

    /// Creates (or truncates) `path`, lets `body` write it, then fsyncs it when `sync` (default
    /// true) and closes it. Not atomic by itself: for files inside a folder that is renamed into
    /// place as a whole, and for measured raw writes. Returns what `body` returns.
    public static func create<R>(_ path: String, sync: Bool = true, step: (Step) throws -> Void = { _ in },
                                 _ body: (Output) throws -> R) throws -> R {
        try create(path, reportingAs: path, creating: "create the file", sync: sync, step: step, body)
    }

    /// Writes `bytes` to a new file at `path` (replacing any file there in place) and fsyncs it;
    /// see `create`.
    public static func write(_ bytes: some ContiguousBytes, to path: String, step: (Step) throws -> Void = { _ in }) throws {
        try create(path, step: step) { file in try bytes.withUnsafeBytes { try file.write($0) } }
    }

    /// Replaces `path` whole: writes `bytes` to a temporary file in the same folder
    /// (`temporaryPath`), fsyncs it, renames it over `path`, then fsyncs the folder. Readers see
    /// the old file or the new one; once it returns the new one survives a crash; a failed write
    /// removes its temporary file. Errors name `path`.
    public static func replace(_ path: String, with bytes: some ContiguousBytes, step: (Step) throws -> Void = { _ in }) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = temporaryPath(for: url.lastPathComponent, in: folder)
        do {
            try create(temporary, reportingAs: path, creating: "create the temporary file \(temporary)", sync: true, step: step) { file in
                try bytes.withUnsafeBytes { try file.write($0) }
            }
            guard rename(temporary, path) == 0 else { throw DurableFileError(path: path, operation: "rename \(temporary) over it", code: errno) }
        } catch let error as DurableFileError {
            unlink(temporary)
            throw error
        }
        try step(.renamed)
        try syncFolder(folder, reportingAs: path, what: "its folder")
        try step(.folderSynced)
    }

    /// Puts a finished file in place durably: fsyncs `temporary` (written by someone else, e.g. a
    /// database library, in `path`'s folder), renames it over `path`, then fsyncs the folder.
    /// Errors name `path`; a failed rename leaves `temporary` where it was.
    public static func publish(_ temporary: String, as path: String) throws {
        let fd = open(temporary, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DurableFileError(path: path, operation: "open \(temporary)", code: errno) }
        let synced = fsync(fd) == 0 ? 0 : errno
        close(fd)
        guard synced == 0 else { throw DurableFileError(path: path, operation: "fsync \(temporary)", code: synced) }
        guard rename(temporary, path) == 0 else { throw DurableFileError(path: path, operation: "rename \(temporary) over it", code: errno) }
        try syncFolder(URL(fileURLWithPath: path).deletingLastPathComponent().path, reportingAs: path, what: "its folder")
    }

    /// Replaces `path` with `text` (UTF-8); see `replace(_:with:step:)`.
    public static func replace(_ path: String, with text: String) throws {
        try replace(path, with: Array(text.utf8))
    }

    /// fsyncs the folder `path`, so the names created, renamed or removed in it are durable.
    public static func syncFolder(_ path: String) throws {
        try syncFolder(path, reportingAs: path, what: "the folder")
    }

    /// A name in `folder` no other writer uses, for a temporary file or folder standing in for
    /// `name`: `folder/.tmp-<name>-<pid>-<counter>`.
    public static func temporaryPath(for name: String, in folder: String) -> String {
        "\(folder)/.tmp-\(name)-\(getpid())-\(counter.add(1, ordering: .relaxed).newValue)"
    }

    private static let counter = Atomic<Int>(0)

    private static func create<R>(_ path: String, reportingAs reported: String, creating: String, sync: Bool,
                                  step: (Step) throws -> Void, _ body: (Output) throws -> R) throws -> R {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DurableFileError(path: reported, operation: creating, code: errno) }
        var isOpen = true
        defer { if isOpen { close(fd) } }
        let result = try body(Output(path: path, fd: fd, reportedPath: reported))
        try step(.written)
        guard sync else { return result }
        guard fsync(fd) == 0 else { throw DurableFileError(path: reported, operation: "fsync", code: errno) }
        close(fd)
        isOpen = false
        try step(.synced)
        return result
    }

    private static func syncFolder(_ folder: String, reportingAs reported: String, what: String) throws {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw DurableFileError(path: reported, operation: "open \(what)", code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw DurableFileError(path: reported, operation: "fsync \(what)", code: errno) }
    }
}

/// A failed durable write: which file, which step, and the system's reason.
public struct DurableFileError: Error, CustomStringConvertible, LocalizedError {
    /// The file being written (the target of a replacement), or the folder being fsynced.
    public let path: String
    /// The step that failed, e.g. `fsync` or `create the file`.
    public let operation: String
    /// The `errno` it failed with.
    public let code: Int32
    /// The operation and the system's reason, without the path: `cannot fsync: No space left on device`.
    public var problem: String { "cannot \(operation): \(String(cString: strerror(code)))" }
    public var description: String { "\(path): \(problem)" }
    public var errorDescription: String? { description }
}
