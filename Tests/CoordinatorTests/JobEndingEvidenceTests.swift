// JobEndingEvidenceTests: what Open MPI 4.1 and the ranks' watchdogs print as a job ends, fed line by
// line, read into killed ranks, lost hosts, silent and gone ranks and exit codes — and nothing else.
import Foundation
import Testing
@testable import Coordinator

@Suite("JobEndingEvidence from mpirun's and the ranks' standard error")
struct JobEndingEvidenceTests {
    static let rule: String = String(repeating: "-", count: 74)

    /// `lines` fed one by one, then the stream's end.
    static func read(_ lines: [String], finish: Bool = true) -> JobEndingEvidence {
        var evidence = JobEndingEvidence()
        for line in lines { evidence.feed(line) }
        if finish { evidence.finish() }
        return evidence
    }

    static let killedRank: [String] = [
        rule,
        "Primary job  terminated normally, but 1 process returned",
        "a non-zero exit code. Per user-direction, the job has been aborted.",
        rule,
        rule,
        "mpirun noticed that process rank 1 with PID 0 on node vm exited on signal 9 (Killed).",
        rule,
    ]

    static let silentRanks: [String] = [
        "error: rank 2: no reply from the other ranks for 8 s during the reduce-scatter; waiting on ranks 0, 1. Ending the job (cluster.failure_timeout sets this bound).",
        "error: rank 0: no reply from the other ranks for 8 s during the reduce-scatter; waiting on ranks 1, 2. Ending the job (cluster.failure_timeout sets this bound).",
    ]

    static let mpiAbort: [String] = [
        rule,
        "MPI_ABORT was invoked on rank 0 in communicator MPI_COMM_WORLD",
        "with errorcode 2.",
        "",
        "NOTE: invoking MPI_ABORT causes Open MPI to kill all MPI processes.",
        rule,
    ]

    static let nonZeroExit: [String] = [
        rule,
        "mpirun detected that one or more processes exited with non-zero status, thus causing",
        "the job to be terminated. The first process to do so was:",
        "",
        "  Process name: [[28906,1],1]",
        "  Exit code:    1",
        rule,
    ]

    static let lostDaemon: [String] = [
        rule,
        "ORTE has lost communication with a remote daemon.",
        "",
        "  HNP daemon   : [[1234,0],0] on node vm",
        "  Remote daemon: [[1234,0],2] on node 10.78.0.13",
        "",
        "This is usually due to either a failure of the TCP network",
        rule,
    ]

    static let gonePeer: [String] = [
        "error: rank 0: no reply from the other ranks for 20 s during the all-reduce; rank 1 (pid 4242, this host) has exited. Ending the job (cluster.failure_timeout sets this bound).",
    ]

    static let trainingOutput: [String] = [
        "epoch 1/3  step 120  loss 0.4312  train_acc 0.871  val_acc 0.865  2210 samples/s",
        "saved checkpoint step-00000120",
        "warning: rank 1: data shard has 3 fewer samples; padding the last batch",
        "[=====>                         ] 18%",
        "rank 0 waiting on ranks 1, 2 for the barrier",
        "",
    ]

    @Test("a rank killed by signal 9: rank, signal and its name; the abort notice alone says the job is ending")
    func killedRank() {
        let evidence = Self.read(Self.killedRank)
        #expect(evidence.killedRanks == [.init(rank: 1, signal: 9, signalName: "Killed")])
        #expect(evidence.lostHosts.isEmpty && evidence.waitingOn.isEmpty && evidence.goneRanks.isEmpty)
        #expect(evidence.exitCodes.isEmpty && !evidence.daemonFailed)
        #expect(evidence.jobEnding)
        #expect(Self.read(Array(Self.killedRank.prefix(4))).jobEnding, "the 'job has been aborted' notice ends the job")
        #expect(Self.read(Array(Self.killedRank.prefix(4))).killedRanks.isEmpty)
    }

    @Test("silent ranks: each reporter's waiting list, read from the watchdog lines as they come")
    func silentRanks() {
        let evidence = Self.read(Self.silentRanks, finish: false)
        #expect(evidence.waitingOn == [2: [0, 1], 0: [1, 2]])
        #expect(evidence.killedRanks.isEmpty && evidence.goneRanks.isEmpty && evidence.exitCodes.isEmpty)
        #expect(evidence.jobEnding)
        #expect(Self.read(Self.silentRanks) == evidence, "the stream's end adds nothing")
    }

    @Test("MPI_ABORT: the rank and its error code")
    func mpiAbort() {
        let evidence = Self.read(Self.mpiAbort)
        #expect(evidence.exitCodes.map(\.rank) == [0])
        #expect(evidence.exitCodes.map(\.code) == [2])
        #expect(evidence.killedRanks.isEmpty && evidence.lostHosts.isEmpty && evidence.waitingOn.isEmpty)
        #expect(evidence.jobEnding)
    }

    @Test("a non-zero exit: the rank from the process name and the exit code")
    func nonZeroExit() {
        let evidence = Self.read(Self.nonZeroExit)
        #expect(evidence.exitCodes.map(\.rank) == [1])
        #expect(evidence.exitCodes.map(\.code) == [1])
        #expect(evidence.killedRanks.isEmpty && evidence.lostHosts.isEmpty && !evidence.daemonFailed)
        #expect(evidence.jobEnding)
    }

    @Test("a lost daemon: the remote host as mpirun names it, not the HNP's")
    func lostDaemon() {
        let evidence = Self.read(Self.lostDaemon)
        #expect(evidence.lostHosts == ["10.78.0.13"])
        #expect(evidence.killedRanks.isEmpty && evidence.exitCodes.isEmpty && !evidence.daemonFailed)
        #expect(evidence.jobEnding)
        #expect(Self.read(Self.lostDaemon + Self.lostDaemon).lostHosts == ["10.78.0.13"], "a host is named once")
    }

    @Test("a watchdog line naming a gone peer on its own host: the gone rank, and the reporter waiting on nobody")
    func gonePeer() {
        let evidence = Self.read(Self.gonePeer)
        #expect(evidence.goneRanks == [1])
        #expect(evidence.waitingOn == [0: []])
        #expect(evidence.killedRanks.isEmpty && evidence.exitCodes.isEmpty)
        #expect(evidence.jobEnding)
    }

    @Test("ordinary training output is no evidence", arguments: [false, true])
    func trainingOutput(framed: Bool) {
        let lines = framed ? [Self.rule] + Self.trainingOutput + [Self.rule] : Self.trainingOutput
        let evidence = Self.read(lines + lines)
        #expect(evidence == JobEndingEvidence())
        #expect(!evidence.jobEnding)
    }

    @Test("a notice left open at the stream's end is read by finish()", arguments: ["killed", "abort", "exit", "daemon"])
    func splitNotice(label: String) {
        let transcripts = ["killed": Self.killedRank, "abort": Self.mpiAbort, "exit": Self.nonZeroExit, "daemon": Self.lostDaemon]
        let lines = Array(transcripts[label]!.dropLast())
        #expect(lines.last != Self.rule)
        var evidence = JobEndingEvidence()
        for line in lines { evidence.feed(line) }
        let before = evidence
        evidence.finish()
        let whole = Self.read(lines + [Self.rule])
        #expect(evidence == whole, "\(label)")
        #expect(before != whole, "\(label): the open notice is not read before the end")
        #expect(evidence.jobEnding, "\(label)")
    }

    @Test("every transcript in one stream, interleaved with training output, keeps every fact")
    func allTogether() {
        let evidence = Self.read(Self.trainingOutput + Self.killedRank + Self.trainingOutput + Self.silentRanks + Self.mpiAbort
            + Self.nonZeroExit + Self.trainingOutput + Self.lostDaemon + Self.gonePeer)
        #expect(evidence.killedRanks.map(\.rank) == [1])
        #expect(evidence.waitingOn == [2: [0, 1], 0: []])
        #expect(evidence.exitCodes.map(\.rank) == [0, 1] && evidence.exitCodes.map(\.code) == [2, 1])
        #expect(evidence.lostHosts == ["10.78.0.13"])
        #expect(evidence.goneRanks == [1])
    }

    @Test("srun's lines: the task killed first, then those ended because of it; exit codes of task ranges")
    func srunLines() {
        let killed = Self.read([
            "srun: error: vm: task 1: Killed",
            "srun: launch/slurm: _step_signal: Terminating StepId=2.0",
            "slurmstepd-vm: error: *** STEP 2.0 ON vm CANCELLED AT 2026-12-06T16:25:49 ***",
            "srun: error: vm: task 0: Killed",
        ])
        // Task 0 was killed by srun ending the step: not counted.
        #expect(killed.killedRanks == [.init(rank: 1, signal: 9, signalName: "Killed")])
        #expect(killed.jobEnding && killed.srunTaskHosts == [1: "vm"])
        // A rank's own error: srun kills its peer, reported before or after the step's end, then names the error.
        for ending in [["slurmstepd-vm: error: *** STEP 4.0 ON vm CANCELLED AT 2026-12-06T16:26:56 ***", "srun: error: vm: task 0: Killed"],
                       ["srun: error: vm: task 0: Killed", "srun: launch/slurm: _step_signal: Terminating StepId=4.0"]] {
            let ownError = Self.read(ending + ["srun: error: vm: task 1: Exited with exit code 1"])
            #expect(ownError.exitCodes.map(\.rank) == [1] && ownError.exitCodes.map(\.code) == [1])
            #expect(RunFailure.classify(status: 137, evidence: ownError, stopAsked: false, diverged: false, hostOfRank: { _ in "vm" })
                    == .rankError(rank: 1, code: 1))
        }
        let crashed = Self.read(["srun: error: node7: task 3: Segmentation fault"])
        #expect(crashed.killedRanks == [.init(rank: 3, signal: 11, signalName: "Segmentation fault")])
        let exited = Self.read(["srun: error: vm: tasks 0-1,3: Exited with exit code 2"])
        #expect(exited.exitCodes.map(\.rank) == [0, 1, 3] && exited.exitCodes.map(\.code) == [2, 2, 2])
        for noise in ["srun: error: Unable to create step for job 1: More processors requested than permitted",
                      "srun: error: vm: task x: Killed", "srun: error: vm: tasks 5-2: Killed", "srun: error: vm: task 1: Sleepy",
                      "rank 0: srun: error: vm: task 1: Killed",
                      // What srun prints when a step fails to launch: no host before ": task" (this trapped).
                      "srun: error: task 0 launch failed: Unspecified error"] {
            #expect(!Self.read([noise]).jobEnding, "\(noise)")
        }
    }
}
