// AtomicFile: replaces a run folder's small text files (reports, status files, configs) whole or
// not at all, through the project's one durable write (`DurableFile.replace`).
import Model

/// Whole-file replacement that readers never see half-written.
public enum AtomicFile {
    /// Writes `text` (UTF-8) to `path`: readers see the old file or the new one, never a mix;
    /// once it returns the new file survives a crash (the folder is fsynced too). Two writers
    /// never share a temporary file (`.tmp-<name>-<pid>-<n>`); a crash leaves at most one such
    /// file beside it. Throws a `DurableFileError` naming the path.
    public static func write(_ text: String, to path: String) throws {
        try DurableFile.replace(path, with: text)
    }
}
