// LauncherWatchTests: rank 0 tells a living launcher from a gone one by the greeting's pid, start
// time and host: a dead or reaped process, a reused pid, or a zombie is gone; another host, unknown.
import Collective
import Foundation
import Testing
@testable import Worker

@Suite struct LauncherWatchTests {
    @Test func thisProcessIsAlive() {
        #expect(LauncherWatch.launcherState(greeting: LauncherWatch.greeting()) == .alive)
    }

    @Test func anotherStartTimeIsAnotherProcess() throws {
        let me = try #require(ProcessStat.read(getpid()))
        let greeting = "ringtrain launcher \(getpid()) \(me.startTime + 1) \(LauncherWatch.localHost)\n"
        #expect(LauncherWatch.launcherState(greeting: greeting) == .gone)
    }

    @Test func anEndedProcessIsGoneAndAZombieToo() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["0.2"]
        try child.run()
        let pid = child.processIdentifier
        let greeting = LauncherWatch.greeting(pid: pid)
        #expect(LauncherWatch.launcherState(greeting: greeting) == .alive)
        // Foundation reaps it on exit: wait until it is a zombie or gone, then it must read as gone.
        let deadline = Date().addingTimeInterval(10)
        while let state = ProcessStat.read(pid)?.state, state != "Z", Date() < deadline { usleep(20_000) }
        #expect(LauncherWatch.launcherState(greeting: greeting) == .gone)
        child.waitUntilExit()
        #expect(LauncherWatch.launcherState(greeting: greeting) == .gone)
    }

    @Test func anotherHostOrAnOldGreetingIsUnknown() {
        #expect(LauncherWatch.launcherState(greeting: "ringtrain launcher 1 5 some-other-host\n") == .unknown)
        #expect(LauncherWatch.launcherState(greeting: "ringtrain launcher\n") == .unknown)
        #expect(LauncherWatch.launcherState(greeting: "garbage") == .unknown)
    }
}
