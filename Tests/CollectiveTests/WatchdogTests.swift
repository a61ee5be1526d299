// WatchdogTests: a wait past its bound ends with a message naming the rank and the phase; a wait
// on a busy peer has its own, longer bound; a stopped or gone peer on this host is named.
import Foundation
import Synchronization
import Testing
@testable import Collective

@Suite("Watchdog")
struct WatchdogTests {
    final class Expiries: Sendable {
        let messages = Mutex<[String]>([])
        let signal = DispatchSemaphore(value: 0)
        func record(_ message: String) { messages.withLock { $0.append(message) }; signal.signal() }
    }

    @Test func anOrdinaryWaitPastItsBoundEndsTheJobNamingRankAndPhase() {
        let expiries = Expiries()
        let watchdog = Watchdog(timeout: 0.2, rank: 3, onExpiry: expiries.record)
        watchdog.arm("gradient all-reduce")
        #expect(expiries.signal.wait(timeout: .now() + 60) == .success)
        let message = expiries.messages.withLock { $0.first } ?? ""
        #expect(message.contains("rank 3") && message.contains("gradient all-reduce"), "\(message)")
    }

    /// Regression: rank 0 writing a checkpoint longer than the failure timeout aborted healthy jobs.
    @Test func aWaitOnABusyPeerIsNotTakenForADeadOne() {
        let expiries = Expiries()
        let watchdog = Watchdog(timeout: 0.2, busyTimeout: 3600, rank: 1, onExpiry: expiries.record)
        watchdog.arm("wait for rank 0 writing checkpoint step-00000010", busyPeer: true)
        #expect(expiries.signal.wait(timeout: .now() + 1.5) == .timedOut)
        watchdog.disarm()
        watchdog.arm("gradient all-reduce")
        #expect(expiries.signal.wait(timeout: .now() + 60) == .success)
        #expect(expiries.messages.withLock { $0 }.count == 1)
    }

    @Test func aStoppedThenGonePeerOnThisHostIsNamed() throws {
        var pid: pid_t = 0
        let words: [String] = ["/bin/sleep", "60"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        #expect(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ) == 0)
        let host = PeerProcesses.hostHash
        let peers = PeerProcesses(table: [(getpid(), host), (pid, host), (1, host &+ 1)], rank: 0)
        kill(pid, SIGSTOP)
        var stopped = ""
        for _ in 0..<500 where !stopped.contains("stopped") { stopped = peers.describe(); usleep(10_000) }
        #expect(stopped.contains("rank 1 (pid \(pid), this host) is stopped"), "\(stopped)")
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(peers.describe().contains("rank 1 (pid \(pid), this host) has exited"))
    }
}
