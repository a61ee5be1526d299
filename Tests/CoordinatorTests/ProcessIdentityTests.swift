// ProcessIdentityTests: a process is signalled only while its PID still names it — a record with
// another start time, a process without the trial's tag, or a child already waited for is not.
import Foundation
import Testing
@testable import Coordinator

@Suite("process identity guards", .serialized)
struct ProcessIdentityTests {
    static func sleeper(environment: [String: String] = [:]) throws -> ChildProcess {
        try ChildProcess(executable: "/bin/sleep", arguments: ["30"], environment: environment)
    }

    static func isAlive(_ child: ChildProcess) -> Bool { child.poll() == nil }

    @Test("a record with another start time is not signalled; the right one is")
    func startTimeGuard() throws {
        let child = try Self.sleeper()
        defer { child.signal(SIGKILL); _ = child.wait() }
        let seen = try #require(ProcessIdentity.current(child.pid))
        #expect(seen.pid == child.pid && seen.startTime > 0)
        let reused = ProcessIdentity(pid: child.pid, startTime: seen.startTime + 1)
        #expect(!reused.signal(SIGKILL), "a PID that names another process is not signalled")
        usleep(100_000)
        #expect(Self.isAlive(child))
        #expect(seen.signal(SIGKILL))
        #expect(child.wait() == 128 + SIGKILL)
        #expect(!seen.signal(SIGKILL), "a process gone is not signalled")
    }

    @Test("a PID without the trial's tag is not signalled as one of the trial's processes")
    func tagGuard() throws {
        let tag = "test:\(UUID().uuidString):1"
        let stranger = try Self.sleeper()
        let member = try Self.sleeper(environment: [TrialExec.tagVariable: tag])
        defer {
            for child in [stranger, member] { child.signal(SIGKILL); _ = child.wait() }
        }
        #expect(TrialExec.processes(tagged: tag) == [member.pid])
        #expect(!TrialExec.sendSignal(SIGKILL, to: stranger.pid, tagged: tag))
        usleep(100_000)
        #expect(Self.isAlive(stranger))
        #expect(TrialExec.sendSignal(SIGKILL, to: member.pid, tagged: tag))
        #expect(member.wait() == 128 + SIGKILL)
    }

    @Test("a child already waited for is never signalled again, nor its group while its PID is taken")
    func reapedChild() throws {
        let child = try ChildProcess(executable: "/bin/true", arguments: [])
        #expect(child.wait() == 0)
        #expect(child.isReaped && child.poll() == 0)
        #expect(!child.signal(0), "the PID may be another process's now")
        #expect(!child.signalGroup(0), "the group is gone")
    }

    @Test("the state and command of a process are read from /proc")
    func statusParsing() throws {
        let status = try #require(ProcessIdentity.status(getpid()))
        #expect(["R", "S"].contains(status.state))
        #expect(ProcessIdentity.status(-1) == nil)
        #expect(ProcessIdentity.describe(getpid()).hasPrefix("pid \(getpid()): "))
    }
}
