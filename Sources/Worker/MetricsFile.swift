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

    /// Whether the file holds a final line (`"final": true`): the run wrote its end.
    public func hasFinalLine() -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["final"] as? Bool == true
        }
    }

    /// Drops the lines past global step `step` (see `kept`), replacing the file atomically (temp
    /// file, fsync, rename, folder fsync) when anything is dropped. A missing file is left missing.
    func cut(resumingAt step: Int) throws {
        guard let data = FileManager.default.contents(atPath: path) else { return }
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
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw TrainingError("cannot write \(path)")
        }
        try handle.seekToEnd()
        return handle
    }
}
