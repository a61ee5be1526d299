// RunFailureTests: how a run's end is classified from mpirun's status and evidence — kind, rank, host,
// whether a restart helps — with the precedence between causes and naming a silent rank's lost host.
import Foundation
import Testing
@testable import Coordinator

@Suite("RunFailure.classify")
struct RunFailureTests {
    /// Rank r ran on host `h<r>`.
    static func host(_ rank: Int) -> String { "h\(rank)" }

    /// Evidence made of the given facts.
    static func evidence(killed: [(Int, Int32)] = [], lost: [String] = [], waiting: [Int: [Int]] = [:], gone: [Int] = [],
                         codes: [(Int, Int)] = [], daemon: Bool = false) -> JobEndingEvidence {
        var e = JobEndingEvidence()
        e.killedRanks = killed.map { .init(rank: $0.0, signal: Int($0.1), signalName: "sig\($0.1)") }
        e.lostHosts = lost
        e.waitingOn = waiting
        e.goneRanks = gone
        e.exitCodes = codes.map { (rank: $0.0, code: $0.1) }
        e.daemonFailed = daemon
        return e
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let status: Int32
        let evidence: JobEndingEvidence
        var stopAsked = false
        var diverged = false
        let kind: String
        let rank: Int?
        let host: String?
        let restartable: Bool
        var testDescription: String { label }

        func classify() -> RunFailure {
            RunFailure.classify(status: status, evidence: evidence, stopAsked: stopAsked, diverged: diverged, hostOfRank: RunFailureTests.host)
        }
    }

    static let everything = evidence(killed: [(1, SIGKILL)], lost: ["10.0.0.9"], waiting: [0: [2], 1: [2]], gone: [3],
                                     codes: [(4, 1)], daemon: true)

    @Test("each cause alone: kind, rank, host and whether a restart helps", arguments: [
        Case(label: "stop asked", status: 1, evidence: evidence(), stopAsked: true, kind: "stopped", rank: nil, host: nil, restartable: false),
        Case(label: "exit 3", status: 3, evidence: evidence(), kind: "stopped", rank: nil, host: nil, restartable: false),
        Case(label: "diverged", status: 1, evidence: evidence(), diverged: true, kind: "diverged", rank: nil, host: nil, restartable: false),
        Case(label: "exit 2", status: 2, evidence: evidence(), kind: "bad_input", rank: nil, host: nil, restartable: false),
        Case(label: "abort code 2", status: 1, evidence: evidence(codes: [(1, 2)]), kind: "bad_input", rank: nil, host: nil, restartable: false),
        Case(label: "lost host", status: 1, evidence: evidence(lost: ["10.78.0.13", "10.78.0.14"]), kind: "lost_host", rank: nil,
             host: "10.78.0.13", restartable: true),
        Case(label: "killed", status: 137, evidence: evidence(killed: [(1, SIGKILL)]), kind: "lost_rank", rank: 1, host: "h1", restartable: true),
        Case(label: "killed by SIGTERM alone", status: 1, evidence: evidence(killed: [(2, SIGTERM)]), kind: "lost_rank", rank: 2, host: "h2",
             restartable: true),
        Case(label: "SIGTERM then SIGKILL", status: 1, evidence: evidence(killed: [(0, SIGTERM), (3, SIGKILL)]), kind: "lost_rank", rank: 3,
             host: "h3", restartable: true),
        Case(label: "gone", status: 1, evidence: evidence(waiting: [0: []], gone: [1]), kind: "lost_rank", rank: 1, host: "h1", restartable: true),
        Case(label: "silent", status: 1, evidence: evidence(waiting: [2: [0, 1], 0: [1, 2]]), kind: "silent_rank", rank: 1, host: "h1",
             restartable: true),
        Case(label: "daemon", status: 1, evidence: evidence(daemon: true), kind: "host_not_started", rank: nil, host: nil, restartable: true),
        Case(label: "own error", status: 1, evidence: evidence(codes: [(2, 1)]), kind: "rank_error", rank: 2, host: nil, restartable: false),
        Case(label: "own error after a stop code", status: 1, evidence: evidence(codes: [(0, 3), (2, 7)]), kind: "rank_error", rank: 2,
             host: nil, restartable: false),
        Case(label: "signal, nothing said", status: 137, evidence: evidence(), kind: "lost_rank", rank: 0, host: "h0", restartable: true),
        Case(label: "exit 1, nothing said", status: 1, evidence: evidence(), kind: "rank_error", rank: nil, host: nil, restartable: false),
        Case(label: "crashed (SIGSEGV)", status: 139, evidence: evidence(killed: [(1, SIGSEGV)]), kind: "crashed", rank: 1, host: "h1",
             restartable: false),
        Case(label: "trapped (a failed precondition)", status: 1, evidence: evidence(killed: [(0, SIGILL)]), kind: "crashed", rank: 0,
             host: "h0", restartable: false),
        Case(label: "a peer lost under a collective", status: 4, evidence: evidence(codes: [(1, 4)]), kind: "lost_contact", rank: nil,
             host: nil, restartable: true),
        Case(label: "a peer lost after a rank's own error", status: 1, evidence: evidence(codes: [(0, 4), (1, 86)]), kind: "rank_error",
             rank: 1, host: nil, restartable: false),
    ])
    func eachCause(_ c: Case) {
        let failure = c.classify()
        #expect(failure.kind == c.kind, "\(failure)")
        #expect(failure.rank == c.rank, "\(failure)")
        #expect(failure.host == c.host, "\(failure)")
        #expect(failure.restartable == c.restartable, "\(failure)")
        #expect(!failure.summary.isEmpty)
    }

    /// The evidence with every cause below `level` (in precedence order) left out.
    static func from(level: Int) -> JobEndingEvidence {
        var e = everything
        if level > 0 { e.lostHosts = [] }
        if level > 1 { e.killedRanks = [] }
        if level > 2 { e.goneRanks = [] }
        if level > 3 { e.waitingOn = [:] }
        if level > 4 { e.daemonFailed = false }
        return e
    }

    @Test("precedence: stop > diverged > bad input > lost host > killed > gone > silent > daemon > own error")
    func precedence() {
        func kind(status: Int32 = 1, _ e: JobEndingEvidence, stop: Bool = false, diverged: Bool = false) -> RunFailure {
            RunFailure.classify(status: status, evidence: e, stopAsked: stop, diverged: diverged, hostOfRank: Self.host)
        }
        var badInput = Self.everything
        badInput.exitCodes.append((rank: 5, code: 2))
        #expect(kind(badInput, stop: true, diverged: true) == .stopped)
        #expect(kind(status: 3, badInput, diverged: true) == .stopped)
        #expect(kind(badInput, diverged: true) == .diverged)
        #expect(kind(status: 2, Self.everything) == .badInput)
        #expect(kind(badInput) == .badInput)
        #expect(kind(Self.from(level: 0)) == .lostHost(host: "10.0.0.9"))
        #expect(kind(Self.from(level: 1)) == .lostRank(rank: 1, host: "h1", how: "was killed (signal 9, sig9)"))
        #expect(kind(Self.from(level: 2)) == .lostRank(rank: 3, host: "h3", how: "exited without a word"))
        #expect(kind(Self.from(level: 3)) == .silentRank(rank: 2, host: "h2"))
        #expect(kind(Self.from(level: 4)) == .hostNotStarted)
        #expect(kind(Self.from(level: 5)) == .rankError(rank: 4, code: 1))
    }

    @Test("ranks mpirun ended with SIGTERM after another rank's own error are a rank error, not a lost rank", arguments: [
        [(1, SIGTERM)], [(1, SIGTERM), (2, SIGTERM)], [(2, SIGUSR1)],
    ])
    func sigtermAfterOwnError(killed: [(Int, Int32)]) {
        let failure = RunFailure.classify(status: 1, evidence: Self.evidence(killed: killed, codes: [(0, 1)]), stopAsked: false,
                                          diverged: false, hostOfRank: Self.host)
        #expect(failure == .rankError(rank: 0, code: 1))
        #expect(failure.kind == "rank_error" && !failure.restartable)
    }

    @Test("the own error named is the first code that is not a saved stop (3)")
    func ownErrorSkipsStopCode() {
        let failure = RunFailure.classify(status: 1, evidence: Self.evidence(codes: [(0, 3), (2, 7)]), stopAsked: false,
                                          diverged: false, hostOfRank: Self.host)
        #expect(failure == .rankError(rank: 2, code: 7))
        #expect(failure.summary == "rank 2 failed with its own error (exit code 7)")
    }

    @Test("a SIGKILL beside an own error is still a lost rank")
    func killBesideOwnError() {
        let failure = RunFailure.classify(status: 1, evidence: Self.evidence(killed: [(0, SIGTERM), (1, SIGKILL)], codes: [(2, 1)]),
                                          stopAsked: false, diverged: false, hostOfRank: Self.host)
        #expect(failure.kind == "lost_rank" && failure.rank == 1 && failure.host == "h1")
    }

    @Test("the killed-rank transcript classifies as rank 1 lost on its host, signal 9")
    func fromTranscript() {
        var evidence = JobEndingEvidence()
        for line in JobEndingEvidenceTests.killedRank { evidence.feed(line) }
        evidence.finish()
        let failure = RunFailure.classify(status: 137, evidence: evidence, stopAsked: false, diverged: false, hostOfRank: Self.host)
        #expect(failure == .lostRank(rank: 1, host: "h1", how: "was killed (signal 9, Killed)"))
        #expect(failure.summary == "rank 1 on host h1 was killed (signal 9, Killed)")
    }

    @Test("ambiguous silence names every candidate; the dropped host turns it into a lost host", arguments: [
        ([0: [1, 2], 3: [1, 2]], [1, 2]),
        ([0: [1], 2: [3]], [1, 3]),
        ([0: [1, 2]], [1, 2]),
    ])
    func ambiguousSilence(waiting: [Int: [Int]], candidates: [Int]) {
        let failure = RunFailure.classify(status: 1, evidence: Self.evidence(waiting: waiting), stopAsked: false, diverged: false,
                                          hostOfRank: Self.host)
        #expect(failure == .silentRanks(candidates))
        #expect(failure.kind == "silent_rank" && failure.restartable && failure.rank == nil && failure.host == nil)
        #expect(failure.naming(droppedHosts: ["h9", "h8"]) == .lostHost(host: "h9"))
        #expect(failure.naming(droppedHosts: []) == failure)
    }

    @Test("naming(droppedHosts:) names a host mpirun could not start, and leaves every named failure alone")
    func naming() {
        #expect(RunFailure.hostNotStarted.naming(droppedHosts: ["h2"]) == .lostHost(host: "h2"))
        #expect(RunFailure.hostNotStarted.naming(droppedHosts: []) == .hostNotStarted)
        let named: [RunFailure] = [.lostRank(rank: 1, host: "h1", how: "x"), .lostHost(host: "h3"), .silentRank(rank: 2, host: "h2"),
                                   .stopped, .diverged, .badInput, .rankError(rank: 0, code: 1)]
        for failure in named { #expect(failure.naming(droppedHosts: ["h7"]) == failure) }
    }
}
