// UserOutput: where a file the user names on the command line (report --output, timeline --output,
// sbatch --write) is written. A symbolic link is written through, keeping the link; a device, FIFO
// or this process's own stream (/dev/stdout) is written in place; anything else is replaced whole.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Model

public enum UserOutput {
    /// How a path is written.
    public enum Destination: Equatable {
        /// An open descriptor of this process (/dev/stdout, /dev/fd/N): written where it points, so
        /// a log appended to stays appended.
        case descriptor(Int32)
        /// Not a regular file (a device, a FIFO; a folder, which opening refuses): opened and written.
        case inPlace(String)
        /// A regular file, or none yet: replaced whole at this path, the target of any links.
        /// (A loop of links is `inPlace`, so that opening it reports the loop.)
        case replace(String)
    }

    /// Whether `path` names this process's standard output (/dev/stdout, /dev/fd/1, a link to
    /// them): what the command would print beside the file then belongs on standard error.
    public static func isStandardOutput(_ path: String) -> Bool { destination(of: path) == .descriptor(STDOUT_FILENO) }

    /// Where `path` is written.
    public static func destination(of path: String) -> Destination {
        // The path, or any link on the way, may name one of this process's descriptors.
        var current = path
        for _ in 0..<40 {
            if let fd = descriptor(named: current) { return .descriptor(fd) }
            guard let next = linkTarget(of: current) else { break }
            current = next
        }
        if linkTarget(of: current) != nil { return .inPlace(path) }   // a loop: opening it reports ELOOP
        var info = stat()
        if stat(path, &info) == 0 {   // through any links
            guard info.st_mode & S_IFMT == S_IFREG else { return .inPlace(path) }
            return .replace(realPath(path) ?? current)
        }
        return .replace(current)   // a new file, or the missing target of a (dangling) link
    }

    /// The descriptor `/dev/stdout`, `/dev/fd/N` or `/proc/self/fd/N` names, however spelt (`//dev/./stdout`).
    static func descriptor(named path: String) -> Int32? {
        let parts = path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
        for prefix in ["dev/fd/", "proc/self/fd/"] where path.hasPrefix("/") && parts.hasPrefix(prefix) {
            return Int32(parts.dropFirst(prefix.count))
        }
        return path.hasPrefix("/") ? ["dev/stdin": Int32(0), "dev/stdout": 1, "dev/stderr": 2][parts] : nil
    }

    /// Writes `text` to `path` as `destination(of:)` says. Throws an error naming the path and the
    /// system's reason.
    public static func write(_ text: String, to path: String) throws {
        let destination = destination(of: path)
        guard let fd = openInPlace(destination) else {
            if case .replace(let target) = destination { try DurableFile.replace(target, with: text) }
            return
        }
        guard fd >= 0 else { throw UserOutputError(path: path, operation: "open it for writing", code: errno) }
        defer { close(fd) }
        try writeAll(text, to: fd, path: path)
    }

    /// For a destination written in place, a descriptor of its own to write and then close (for a
    /// stream, a copy sharing its offset), or -1 with errno set; nil for `.replace`.
    public static func openInPlace(_ destination: Destination) -> Int32? {
        switch destination {
        case .replace: return nil
        case .descriptor(let fd): return dup(fd)
        case .inPlace(let path): return open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        }
    }

    static func writeAll(_ text: String, to fd: Int32, path: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw UserOutputError(path: path, operation: "write", code: written < 0 ? errno : EIO) }
            bytes = bytes.dropFirst(written)
        }
    }

    /// The path with every link and `..` resolved by the system; nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Where the link `path` points (a relative target taken from the link's real folder); nil
    /// when `path` is no link.
    static func linkTarget(of path: String) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return nil }
        if target.hasPrefix("/") { return target }
        let folder = (path as NSString).deletingLastPathComponent
        return (realPath(folder.isEmpty ? "." : folder) ?? folder) + "/" + target
    }
}

/// A write to a user's output that failed: the path, the step and the system's reason.
public struct UserOutputError: Error, CustomStringConvertible, LocalizedError {
    public let path: String, operation: String, code: Int32
    public var description: String { "\(path): cannot \(operation): \(String(cString: strerror(code)))" }
    public var errorDescription: String? { description }
}
