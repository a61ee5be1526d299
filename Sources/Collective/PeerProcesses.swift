// PeerProcesses: where every rank's process runs (pid and host), exchanged once at start, so a
// rank that gives up waiting can say which peer on its host is stopped, gone or stuck.
import Foundation

/// The process id and host of every rank.
public struct PeerProcesses: Sendable {
    /// Per rank: process id and a hash of its host name.
    public let table: [(pid: Int32, host: UInt32)]
    /// This rank.
    public let rank: Int

    public init(table: [(pid: Int32, host: UInt32)], rank: Int) { (self.table, self.rank) = (table, rank) }

    /// A stable 31-bit hash of this machine's host name (FNV-1a), exact as a Double.
    public static var hostHash: UInt32 {
        var hash: UInt32 = 0x811c_9dc5
        for byte in ProcessInfo.processInfo.hostName.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        return hash & 0x7fff_ffff
    }

    /// What can be seen of the other ranks: those on this host that are stopped, gone, or in an
    /// uninterruptible wait are named; the rest are said to be silent.
    public func describe() -> String {
        var notes: [String] = []
        var silent: [Int] = []
        for (peer, entry) in table.enumerated() where peer != rank {
            guard entry.host == table[rank].host else { silent.append(peer); continue }
            switch Self.state(of: entry.pid) {
            case "T", "t": notes.append("rank \(peer) (pid \(entry.pid), this host) is stopped (SIGSTOP or a debugger)")
            case nil, "Z", "X": notes.append("rank \(peer) (pid \(entry.pid), this host) has exited")
            case "D": notes.append("rank \(peer) (pid \(entry.pid), this host) is stuck in the kernel (disk or network I/O)")
            default: silent.append(peer)
            }
        }
        if !silent.isEmpty && notes.isEmpty {
            notes.append("waiting on rank\(silent.count == 1 ? "" : "s") \(silent.map(String.init).joined(separator: ", "))")
        }
        return notes.joined(separator: "; ")
    }

    /// The state letter of `/proc/PID/stat` (R, S, D, T, Z, ...), or nil if there is no such process.
    static func state(of pid: Int32) -> Character? { ProcessStat.read(pid)?.state }
}
