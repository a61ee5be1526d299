// FolderLock: one owner per run folder — an exclusive flock on `.ringtrain.lock`, released by
// the kernel when the holder dies and never inherited by the programs it starts (close-on-exec).
import Foundation
import Model

/// An exclusive lock on a run folder (a training run or a sweep), held until `release()` or
/// the end of the process.
public final class FolderLock: @unchecked Sendable {
    // @unchecked: the descriptor is written once in init and closed once in release.
    /// The lock file inside the locked folder.
    public static let fileName = ".ringtrain.lock"

    /// The locked folder.
    public let folder: String
    private var descriptor: Int32

    /// Takes the lock on `folder` (which must exist) for `purpose` (e.g. "train", "sweep"), or
    /// throws `FolderLockError` naming the holder's PID, host and purpose.
    public init(folder: String, purpose: String) throws {
        let path = folder + "/" + Self.fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw FolderLockError(folder: folder, holder: nil, reason: String(cString: strerror(errno))) }
        // A reader that cannot see the holder in /proc/locks (a shared disk) tries the lock for an
        // instant (`holder(of:)`): a claim that meets one of those tries again for a moment.
        var locked = false, code: Int32 = 0
        for attempt in 0..<20 {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                locked = true
                break
            }
            code = errno
            guard code == EWOULDBLOCK, attempt < 19 else { break }
            usleep(10_000)
        }
        guard locked else {
            let holder = code == EWOULDBLOCK ? Self.readHolder(fd) : nil
            close(fd)
            throw FolderLockError(folder: folder, holder: holder,
                                  reason: code == EWOULDBLOCK ? nil : String(cString: strerror(code)))
        }
        let record = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName), \(purpose)\n"
        _ = ftruncate(fd, 0)
        _ = record.withCString { pwrite(fd, $0, strlen($0), 0) }
        self.folder = folder
        self.descriptor = fd
    }

    /// Gives the lock up (also done by the kernel when the process ends).
    public func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }

    /// Who holds `folder`'s lock now (`pid N on HOST, purpose`, or "holder unknown"), or nil when
    /// nobody does (or the folder has no lock file). The lock is only tried, never kept.
    /// `probing` (default true) also tries the lock when /proc/locks does not show it held here,
    /// which sees a holder on another host of a shared disk; without it only this host's are seen.
    public static func holder(of folder: String, probing: Bool = true) -> String? {
        guard let fd = openRecord(folder) else { return nil }
        defer { close(fd) }
        // A lock held on this host shows in /proc/locks: no need to try it (a try holds the lock
        // for an instant, which a process claiming the folder just then must wait out). Readers
        // try it shared, so two readers never take each other for the holder, which holds it
        // exclusively (WRITE in /proc/locks).
        if heldExclusivelyOnThisHost(fd) { return readHolder(fd) ?? "holder unknown" }
        guard probing, flock(fd, LOCK_SH | LOCK_NB) != 0 else { return nil }   // closing the file releases it
        return errno == EWOULDBLOCK ? readHolder(fd) ?? "holder unknown" : nil
    }

    /// The host in a holder's record `pid N on HOST, purpose` (nil when it is not of that form).
    public static func host(ofRecord record: String) -> String? {
        guard let on = record.range(of: " on ") else { return nil }
        return record[on.upperBound...].split(separator: ",").first.map(String.init)
    }

    /// The record the last holder of `folder`'s lock left (`pid N on HOST, purpose`), whether or
    /// not it holds the lock still; nil when there is none.
    public static func lastHolder(of folder: String) -> String? {
        guard let fd = openRecord(folder) else { return nil }
        defer { close(fd) }
        return readHolder(fd)
    }

    /// The lock file of `folder` opened for reading when it is a regular file (never through a
    /// link; a FIFO in its place is not waited on).
    private static func openRecord(_ folder: String) -> Int32? {
        let fd = open(folder + "/" + fileName, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Whether a process on this host holds an exclusive flock on the file open as `fd` (Linux's
    /// /proc/locks lists them: `N: FLOCK ADVISORY WRITE PID MAJOR:MINOR:INODE 0 EOF`, device
    /// numbers in hex; a reader's shared try shows as READ).
    private static func heldExclusivelyOnThisHost(_ fd: Int32) -> Bool {
        var info = stat()
        guard fstat(fd, &info) == 0, let table = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return false }
        let device = UInt64(info.st_dev)
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff), minor = (device & 0xff) | ((device >> 12) & ~0xff)
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", fields[3] == "WRITE" else { continue }
            let id = fields[5].split(separator: ":")
            if id.count == 3, UInt64(id[0], radix: 16) == major, UInt64(id[1], radix: 16) == minor, UInt64(id[2]) == UInt64(info.st_ino) {
                return true
            }
        }
        return false
    }

    /// The holder's record (`pid N on HOST, purpose`), at most one short printable line.
    private static func readHolder(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 160)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        let line = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        let printable = line.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7f }
        return printable && !line.isEmpty ? line : nil
    }
}

/// Another process owns the run folder (or its lock file cannot be opened).
public struct FolderLockError: UsageError {
    public let folder: String
    /// The holder's record, when readable: `pid N on HOST, purpose`.
    public let holder: String?
    /// The system's reason when the lock could not be tried at all.
    public let reason: String?

    public var description: String {
        if let reason { return "\(folder): cannot lock the run folder (\(folder)/\(FolderLock.fileName): \(reason))" }
        return "\(folder) is in use by another ringtrain process (\(holder ?? "holder unknown")); "
            + "wait for it to end, or stop it, before writing to this folder"
    }
}
