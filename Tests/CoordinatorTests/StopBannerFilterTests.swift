// StopBannerFilterTests: mpirun's notices after an orderly stop (every rank exits 3) are left
// out; notices about other exit codes or signals, and every other line, pass in order.
import Testing
@testable import Coordinator

private let rule = String(repeating: "-", count: 74)

private func notices(exitCode: Int) -> [String] {
    [rule, "Primary job  terminated normally, but 1 process returned", "a non-zero exit code. Per user-direction, the job has been aborted.", rule,
     rule, "mpirun detected that one or more processes exited with non-zero status, thus causing",
     "the job to be terminated. The first process to do so was:", "", "  Process name: [[16118,1],0]", "  Exit code:    \(exitCode)", rule]
}

private func run(_ lines: [String]) -> [String] {
    var filter = StopBannerFilter()
    return lines.flatMap { filter.feed($0) } + filter.finish()
}

@Test("an orderly stop's two notices are left out, the lines around them kept")
func stopNoticesLeftOut() {
    let before = ["stopped by a signal at step 4; checkpoint saved"]
    #expect(run(before + notices(exitCode: 3) + ["after"]) == before + ["after"])
    #expect(run(before + notices(exitCode: 3)) == before)
}

@Test("notices of a failure pass unchanged", arguments: [1, 2, 134])
func failureNoticesKept(code: Int) {
    let lines = ["error: rank 1 of 2: injected failure"] + notices(exitCode: code)
    #expect(run(lines) == lines)
}

@Test("other notices and lines of dashes pass, also when the stream ends inside one")
func otherLinesPass() {
    let signal = [rule, "mpirun noticed that process rank 1 with PID 0 on node vm exited on signal 9 (Killed).", rule]
    #expect(run(signal) == signal)
    let unfinished = ["x", rule, "half a notice"]
    #expect(run(unfinished) == unfinished)
    let heldThenOther = Array(notices(exitCode: 3).prefix(4)) + ["a rank's line"]
    #expect(run(heldThenOther) == heldThenOther)
}
