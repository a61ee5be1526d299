// StreamText: text to standard output or standard error that never traps — Foundation's
// `write(_: Data)` traps when the write fails, as it does once a pipe's reader is gone (EPIPE).
import Foundation

extension FileHandle {
    /// Writes `text` as UTF-8. A failed write (the reader gone, a full disk) loses the text, not
    /// the process.
    public func writeText(_ text: String) {
        try? write(contentsOf: Data(text.utf8))
    }
}
