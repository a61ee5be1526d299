// MetricsFile: a run's metrics.jsonl as rank 0 keeps it — opened for appending, and on resume
// cut back (atomically) to the checkpoint resumed from, so no epoch or evaluation is written twice.
import Foundation

/// The metrics.jsonl of a run folder.
public struct MetricsFile {
    /// The file's path (`<run>/metrics.jsonl`).
    public let path: String

    public init(runDirectory: String) { path = runDirectory + "/metrics.jsonl" }

    /// The lines a resume from global step `step` keeps: every complete JSON object line whose
    /// `step` is at most `step`, except final lines (`"final": true`); a torn or foreign line
    /// is dropped too. The lines of the steps after the checkpoint are trained (and written) again.
    static func kept(_ text: String, resumingAt step: Int) -> [Substring] {
        text.split(separator: "\n").filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return false }
            if (object["final"] as? Bool) == true { return false }
            return ((object["step"] as? NSNumber)?.intValue ?? 0) <= step
        }
    }

    /// Whether the file holds a final line (`"final": true`): the run wrote its end. Each line is
    /// judged alone, so a damaged line elsewhere does not hide it.
    public func hasFinalLine() -> Bool {
        guard let data = try? contents() else { return false }
        return data.split(separator: UInt8(ascii: "\n")).contains { line in
            ((try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any])?["final"] as? Bool == true
        }
    }

    /// The file's bytes; nil when there is none. A FIFO, device or folder in its place is an
    /// error, found without blocking on it.
    private func contents() throws -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw TrainingError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? handle.close() }
        try Self.requireRegularFile(fd, path)
        return try handle.readToEnd() ?? Data()
    }

    private static func requireRegularFile(_ fd: Int32, _ path: String) throws {
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw TrainingError("\(path) is not a regular file (remove it: the run writes its metrics there)")
        }
    }

    /// Drops the lines past global step `step` (see `kept`), replacing the file atomically (temp
    /// file, fsync, rename, folder fsync) when anything is dropped. A missing file is left missing.
    func cut(resumingAt step: Int) throws {
        guard let data = try contents() else { return }
        let text = String(decoding: data, as: UTF8.self)
        let lines = Self.kept(text, resumingAt: step)
        let kept = lines.map { $0 + "\n" }.joined()
        guard kept != text else { return }
        let url = URL(fileURLWithPath: path)
        try CheckpointFiles.replaceAtomically(Data(kept.utf8), name: url.lastPathComponent,
                                              in: url.deletingLastPathComponent().path)
    }

    /// Opens the file for appending, creating it (and its folder) when missing.
    func openForAppending() throws -> FileHandle {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Not blocking: a FIFO without a reader fails here (ENXIO) instead of holding the run.
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0o644)
        guard fd >= 0 else { throw TrainingError("cannot write \(path): \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        try Self.requireRegularFile(fd, path)
        try handle.seekToEnd()
        return handle
    }
}
