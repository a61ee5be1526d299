// FolderLockTests: who holds a run folder, read without taking its lock when this host holds it,
// and a claim that meets a reader's instant try on the lock waits it out instead of failing.
import Foundation
import Testing
@testable import Worker

struct FolderLockTests {
    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "folder-lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a holder on this host is named, its record's host parsed; once released, nobody holds it and the last holder is kept")
    func holderAndLastHolder() throws {
        let path = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lock = try FolderLock(folder: path, purpose: "train")
        let record = try #require(FolderLock.holder(of: path, probing: false), "seen in /proc/locks, without trying the lock")
        #expect(record == "pid \(getpid()) on \(ProcessInfo.processInfo.hostName), train")
        #expect(FolderLock.host(ofRecord: record) == ProcessInfo.processInfo.hostName)
        #expect(FolderLock.host(ofRecord: "garbage") == nil)
        lock.release()
        #expect(FolderLock.holder(of: path) == nil)
        #expect(FolderLock.lastHolder(of: path) == record)
    }

    @Test("a claim while another descriptor holds the lock for an instant (as a reader's try does) succeeds once it is let go")
    func claimWaitsOutAnInstantTry() throws {
        let path = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path + "/" + FolderLock.fileName, contents: nil)
        let fd = open(path + "/" + FolderLock.fileName, O_RDONLY)
        try #require(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        // A thread of its own lets go after 10 ms, whatever else keeps the machine busy.
        Thread.detachNewThread { usleep(10_000); close(fd) }
        let lock = try FolderLock(folder: path, purpose: "train")
        lock.release()
        // Held for good, a claim is still refused, naming no holder it cannot read.
        let holder = open(path + "/" + FolderLock.fileName, O_RDONLY)
        try #require(holder >= 0 && flock(holder, LOCK_EX | LOCK_NB) == 0)
        defer { close(holder) }
        #expect(throws: FolderLockError.self) { _ = try FolderLock(folder: path, purpose: "train") }
    }

    @Test("another reader's try on the lock (shared) is not taken for a holder; an exclusive one is")
    func anotherReadersTryIsNoHolder() throws {
        let path = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "pid 2147483 on nowhere, sweep\n".write(toFile: path + "/" + FolderLock.fileName, atomically: false, encoding: .utf8)
        let reader = open(path + "/" + FolderLock.fileName, O_RDONLY)
        try #require(reader >= 0 && flock(reader, LOCK_SH | LOCK_NB) == 0)
        #expect(FolderLock.holder(of: path) == nil, "the record's process is gone and only a reader's try holds the lock")
        #expect(FolderLock.holder(of: path, probing: false) == nil)
        close(reader)
        let holder = open(path + "/" + FolderLock.fileName, O_RDONLY)
        try #require(holder >= 0 && flock(holder, LOCK_EX | LOCK_NB) == 0)
        defer { close(holder) }
        #expect(FolderLock.holder(of: path, probing: false) != nil)
        #expect(FolderLock.holder(of: path) != nil)
    }
}
