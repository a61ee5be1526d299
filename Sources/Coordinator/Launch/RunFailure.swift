// RunFailure: how a multi-rank run's end is classified from what is known once mpirun has exited —
// its status, what it and the ranks said, a `diverged` line, a stop someone asked for — and whether
// a restart could help (a lost or silent rank or host) or the failure would only repeat.
import Foundation
import Worker

/// Why a launched run ended without finishing.
public enum RunFailure: Sendable, Equatable {
    /// A rank's process ended by a signal (killed, crashed, out of memory) on `host`.
    case lostRank(rank: Int, host: String, how: String)
    /// mpirun lost contact with `host` (its daemon died or its network went away).
    case lostHost(host: String)
    /// The other ranks stopped hearing from `rank` on `host` within cluster.failure_timeout.
    case silentRank(rank: Int, host: String)
    /// The ranks that gave up waiting named several peers that may have gone silent.
    case silentRanks([Int])
    /// mpirun could not start its daemon on some host.
    case hostNotStarted
    /// A stop was asked for (a signal to the launcher, or the ranks exited 3 after saving).
    case stopped
    /// The training loss or weights stopped being finite: it would happen again.
    case diverged
    /// A config, data or checkpoint error (exit 2): it would happen again.
    case badInput
    /// A rank failed with an error of its own (exit or abort code `code`): it would happen again.
    case rankError(rank: Int?, code: Int)
    /// A rank crashed (SIGSEGV, SIGILL from a failed precondition, SIGABRT, ...): it would happen again.
    case crashed(rank: Int, host: String, signal: Int)
    /// `observer` lost contact with its peers inside a collective (it aborted with
    /// `RankLife.lostPeerStatus`): a peer or its host went away, which one is not known.
    case lostContact(observer: Int)

    /// Whether restarting on the hosts that are left could help.
    public var restartable: Bool {
        switch self {
        case .lostRank, .lostHost, .silentRank, .silentRanks, .hostNotStarted, .lostContact: return true
        case .stopped, .diverged, .badInput, .rankError, .crashed: return false
        }
    }

    /// The host the failure names, if any.
    public var host: String? {
        switch self {
        case .lostRank(_, let host, _), .lostHost(let host), .silentRank(_, let host), .crashed(_, let host, _): return host
        default: return nil
        }
    }

    /// The rank the failure names, if any.
    public var rank: Int? {
        switch self {
        case .lostRank(let rank, _, _), .silentRank(let rank, _), .crashed(let rank, _, _): return rank
        case .rankError(let rank, _): return rank
        default: return nil
        }
    }

    /// A short name for records: `lost_rank`, `lost_host`, `silent_rank`, `host_not_started`,
    /// `stopped`, `diverged`, `bad_input`, `rank_error`.
    public var kind: String {
        switch self {
        case .lostRank: return "lost_rank"
        case .lostHost: return "lost_host"
        case .silentRank, .silentRanks: return "silent_rank"
        case .hostNotStarted: return "host_not_started"
        case .stopped: return "stopped"
        case .diverged: return "diverged"
        case .badInput: return "bad_input"
        case .rankError: return "rank_error"
        case .crashed: return "crashed"
        case .lostContact: return "lost_contact"
        }
    }

    /// One phrase: `rank 1 on host 10.0.0.12 was killed (signal 9, Killed)`.
    public var summary: String {
        switch self {
        case .lostRank(let rank, let host, let how): return "rank \(rank) on host \(host) \(how)"
        case .lostHost(let host): return "host \(host) was lost (mpirun lost contact with it)"
        case .silentRank(let rank, let host): return "rank \(rank) on host \(host) went silent (no reply within cluster.failure_timeout)"
        case .silentRanks(let ranks):
            return ranks.isEmpty ? "a rank stopped answering within cluster.failure_timeout"
                : "no reply from rank \(ranks.map(String.init).joined(separator: " or ")) within cluster.failure_timeout"
        case .hostNotStarted: return "mpirun could not start its daemon on a host"
        case .stopped: return "a stop was asked for"
        case .diverged: return "the run diverged"
        case .badInput: return "a config, data or checkpoint error"
        case .rankError(let rank, let code): return "\(rank.map { "rank \($0)" } ?? "a rank") failed with its own error (exit code \(code))"
        case .crashed(let rank, let host, let signal): return "rank \(rank) on host \(host) crashed (signal \(signal))"
        case .lostContact(let observer): return "rank \(observer) lost contact with a peer (its message above may say which)"
        }
    }

    /// Classifies a run's end (`status` not 0). In order: a stop asked of the launcher, exit 3, a
    /// `diverged` line written by this attempt and exit 2 (or a rank's code 2) end it for good;
    /// then a lost host, a killed rank, a rank gone or silent (the one every waiting rank names)
    /// and a daemon that did not start are worth a restart; a rank's own error (a code without
    /// any of those) is not; anything else ended by a signal counts as a lost rank 0.
    /// - Parameter hostOfRank: where each rank ran (from the launch's host list).
    public static func classify(status: Int32, evidence: JobEndingEvidence, stopAsked: Bool, diverged: Bool,
                                hostOfRank: (Int) -> String) -> RunFailure {
        if stopAsked || status == 3 { return .stopped }
        if diverged { return .diverged }
        if status == 2 || evidence.exitCodes.contains(where: { $0.code == 2 }) { return .badInput }
        if let host = evidence.lostHosts.first { return .lostHost(host: host) }
        // A rank ended by SIGTERM after another's own error is mpirun ending the job, not a loss;
        // srun ends it by SIGKILL (--kill-on-bad-exit), and reports it in no fixed order.
        let ownError = evidence.exitCodes.first { ![0, 3, Int(RankLife.lostPeerStatus)].contains($0.code) }
        let endingSignals: Set<Int> = ownError != nil && !evidence.srunTaskHosts.isEmpty
            ? [Int(SIGUSR1), Int(SIGTERM), Int(SIGKILL)] : [Int(SIGUSR1), Int(SIGTERM)]
        if let killed = evidence.killedRanks.first(where: { !endingSignals.contains($0.signal) })
            ?? (ownError == nil ? evidence.killedRanks.first : nil) {
            if let signal = Int32(exactly: killed.signal), crashSignals.contains(signal) {
                return .crashed(rank: killed.rank, host: hostOfRank(killed.rank), signal: killed.signal)
            }
            let how = "was killed (signal \(killed.signal)\(killed.signalName.isEmpty ? "" : ", " + killed.signalName))"
            return .lostRank(rank: killed.rank, host: hostOfRank(killed.rank), how: how)
        }
        if let gone = evidence.goneRanks.first {
            return .lostRank(rank: gone, host: hostOfRank(gone), how: "exited without a word")
        }
        if !evidence.waitingOn.isEmpty {
            // The silent rank is the one every rank that gave up was waiting on.
            let sets = evidence.waitingOn.values.map(Set.init)
            let common = sets.dropFirst().reduce(sets.first ?? []) { $0.intersection($1) }
            let reporters = Set(evidence.waitingOn.keys)
            let candidates = common.subtracting(reporters)
            if candidates.count == 1, let silent = candidates.first { return .silentRank(rank: silent, host: hostOfRank(silent)) }
            return .silentRanks(candidates.isEmpty ? sets.reduce(Set<Int>()) { $0.union($1) }.subtracting(reporters).sorted() : candidates.sorted())
        }
        if evidence.daemonFailed { return .hostNotStarted }
        // A rank's own error first: its peers' lost contact may only have followed from it.
        if let own = ownError { return .rankError(rank: own.rank, code: own.code) }
        if let lost = evidence.exitCodes.first(where: { $0.code == Int(RankLife.lostPeerStatus) }) { return .lostContact(observer: lost.rank) }
        if let own = evidence.exitCodes.first { return .rankError(rank: own.rank, code: own.code) }
        if status > 128 { return .lostRank(rank: 0, host: hostOfRank(0), how: "ended by signal \(status - 128)") }
        return .rankError(rank: nil, code: Int(status))
    }

    /// The failure as the restart's pre-flight check explains it: when the ranks could not tell
    /// which peer went silent, or mpirun which host it could not start, and `droppedHosts`
    /// failed the check, the first of them is the host that was lost.
    public func naming(droppedHosts: [String]) -> RunFailure {
        switch self {
        case .silentRanks, .hostNotStarted, .lostContact:
            return droppedHosts.first.map { .lostHost(host: $0) } ?? self
        default:
            return self
        }
    }

    /// Signals that end a process because of its own fault (a failed precondition traps with
    /// SIGILL or SIGTRAP): such a crash would happen again.
    static let crashSignals: Set<Int32> = [SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS]
}
