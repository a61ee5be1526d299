// JobEndingEvidence: what mpirun (or srun) and the ranks say on standard error as a job ends — ranks
// killed by a signal, daemons (hosts) lost, ranks that gave up waiting on silent peers, exit codes.
import Foundation

/// The facts about a job's end found in its standard error, fed one line at a time.
///
/// Open MPI frames its notices between rule lines (`-----`); a notice is read once its closing
/// rule arrives. The ranks' own watchdog lines are read as they come.
public struct JobEndingEvidence: Sendable, Equatable {
    /// A rank mpirun saw end by a signal.
    public struct KilledRank: Sendable, Equatable {
        public var rank: Int
        public var signal: Int
        public var signalName: String
    }

    /// Ranks that ended by a signal, in the order mpirun named them.
    public var killedRanks: [KilledRank] = []
    /// Hosts whose daemon mpirun lost contact with, as mpirun names them (its `--host` entries).
    public var lostHosts: [String] = []
    /// Per rank that gave up waiting (its watchdog fired): the ranks it was still waiting on.
    public var waitingOn: [Int: [Int]] = [:]
    /// Ranks a watchdog found gone on its own host ("rank R (pid P, this host) has exited").
    public var goneRanks: [Int] = []
    /// Exit codes ranks ended with by MPI_Abort or a non-zero exit, in the order reported.
    public var exitCodes: [(rank: Int, code: Int)] = []
    /// mpirun could not start or keep a daemon on some host.
    public var daemonFailed = false
    /// The host srun named for each task it reported (under mpirun: none).
    public var srunTaskHosts: [Int: String] = [:]
    /// Whether mpirun or a rank has announced that the job is ending with a failure.
    public var jobEnding: Bool { !killedRanks.isEmpty || !lostHosts.isEmpty || !waitingOn.isEmpty || !goneRanks.isEmpty
        || !exitCodes.isEmpty || daemonFailed || sawAbortNotice }

    private var notice: [String] = []
    private var sawAbortNotice = false
    /// Whether srun or slurmstepd has said it is ending the step: tasks killed after that were
    /// ended because of an earlier failure, not the failure itself.
    private var srunEndingStep = false

    public init() {}

    public static func == (a: JobEndingEvidence, b: JobEndingEvidence) -> Bool {
        a.killedRanks == b.killedRanks && a.lostHosts == b.lostHosts && a.waitingOn == b.waitingOn && a.goneRanks == b.goneRanks
            && a.exitCodes.map(\.rank) == b.exitCodes.map(\.rank) && a.exitCodes.map(\.code) == b.exitCodes.map(\.code)
            && a.daemonFailed == b.daemonFailed && a.srunTaskHosts == b.srunTaskHosts
    }

    /// Reads one line of standard error.
    public mutating func feed(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.count >= 10 && trimmed.allSatisfy({ $0 == "-" }) {
            readNotice(notice.joined(separator: "\n"))
            notice = []
            return
        }
        notice.append(trimmed)
        if notice.count > 64 { notice.removeFirst(notice.count - 64) }   // a notice is a few lines; ranks' output is not kept
        readWatchdog(trimmed)
        readSrun(trimmed)
    }

    /// The signal numbers by the names srun gives them (the C library's `strsignal`: `Killed`, ...).
    private static let signalNumbers: [String: Int] = {
        var names: [String: Int] = [:]
        for number in 1..<32 { if let name = strsignal(Int32(number)) { names[String(cString: name)] = number } }
        return names
    }()

    /// srun's line for tasks that ended badly, `srun: error: HOST: task 1: Killed` or
    /// `srun: error: HOST: tasks 0-1,3: Exited with exit code 2`. Once srun (`Terminating StepId`)
    /// or slurmstepd (`*** STEP ... CANCELLED`) ends the step, the tasks it kills are not counted.
    private mutating func readSrun(_ line: String) {
        if line.contains("Terminating StepId=") || (line.contains("*** STEP ") && line.contains(" CANCELLED")) {
            srunEndingStep = true
            return
        }
        // ": task" is looked for after the prefix: `srun: error: task 0 launch failed: ...` names no host.
        let afterPrefix = line.dropFirst("srun: error: ".count)
        guard line.hasPrefix("srun: error: "), let taskRange = afterPrefix.range(of: ": task") else { return }
        let host = afterPrefix[..<taskRange.lowerBound]
        let rest = line[taskRange.upperBound...].drop { $0 == "s" || $0 == " " }
        guard let colon = rest.firstIndex(of: ":") else { return }
        var ranks: [Int] = []
        for part in rest[..<colon].split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let low = bounds.first, let high = bounds.last, bounds.count <= 2, low <= high, high - low < 100_000 else { return }
            ranks += Array(low...high)
        }
        let how = rest[rest.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if how.hasPrefix("Exited with exit code "), let code = Int(how.dropFirst("Exited with exit code ".count)) {
            for rank in ranks { exitCodes.append((rank, code)) }
        } else if let signal = Self.signalNumbers[how] {
            guard !srunEndingStep else { return }
            for rank in ranks { killedRanks.append(KilledRank(rank: rank, signal: signal, signalName: how)) }
        } else {
            return
        }
        for rank in ranks where !host.isEmpty { srunTaskHosts[rank] = String(host) }
    }

    /// Reads a notice left open when the stream ended.
    public mutating func finish() {
        readNotice(notice.joined(separator: "\n"))
        notice = []
    }

    private mutating func readNotice(_ text: String) {
        guard !text.isEmpty else { return }
        /// The whole number after the first word `key` in `text` from `phrase` on.
        func int(after key: String, from phrase: String) -> Int? {
            guard let start = text.range(of: phrase) else { return nil }
            let words = text[start.lowerBound...].split(whereSeparator: { $0 == " " || $0 == "\n" })
            guard let i = words.firstIndex(where: { $0 == key }), i + 1 < words.count else { return nil }
            return Int(words[i + 1].trimmingCharacters(in: .punctuationCharacters))
        }
        if let killed = text.range(of: "noticed that process rank"), text.contains("exited on signal"),
           let rank = int(after: "rank", from: "noticed that process rank"), let signal = int(after: "signal", from: "noticed that process rank") {
            let line = text[killed.lowerBound...].prefix { $0 != "\n" }
            let name = line.contains("(") ? line.split(separator: "(").last.map { String($0.prefix { $0 != ")" }) } ?? "" : ""
            killedRanks.append(KilledRank(rank: rank, signal: signal, signalName: name))
        }
        if text.contains("ORTE has lost communication with a remote daemon") {
            for line in text.split(separator: "\n") where line.hasPrefix("Remote daemon") {
                if let host = line.components(separatedBy: " on node ").last?.trimmingCharacters(in: .whitespaces), !host.isEmpty,
                   !lostHosts.contains(host) {
                    lostHosts.append(host)
                }
            }
        }
        if text.contains("unable to reliably start one or more daemons") || text.contains("daemon has unexpectedly failed")
            || text.contains("ORTE does not know how to route a message") {
            daemonFailed = true
        }
        if let rank = int(after: "rank", from: "MPI_ABORT was invoked on rank"), let code = int(after: "errorcode", from: "MPI_ABORT was invoked") {
            exitCodes.append((rank, code))
        }
        if text.contains("exited with non-zero status"), let code = int(after: "code:", from: "Process name:"),
           let start = text.range(of: "Process name:"),
           let name = text[start.upperBound...].split(separator: " ").first(where: { $0.hasPrefix("[[") }),
           let rank = Int(name.split(separator: ",").last?.prefix { $0.isNumber } ?? "") {
            exitCodes.append((rank, code))
        }
        if text.contains("terminated normally, but") || text.contains("the job has been aborted") { sawAbortNotice = true }
    }

    /// `error: rank R: no reply from the other ranks for S s during the PHASE; waiting on ranks A, B.`
    /// or `...; rank P (pid N, this host) has exited...`.
    private mutating func readWatchdog(_ line: String) {
        guard let start = line.range(of: "error: rank "), line.contains("no reply from the other ranks") else { return }
        guard let reporter = Int(line[start.upperBound...].prefix { $0.isNumber }) else { return }
        var silent: [Int] = []
        if let waiting = line.range(of: "waiting on rank") {
            let list = line[waiting.upperBound...].drop { $0 == "s" || $0 == " " }.prefix { $0 != "." }
            silent = list.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }
        waitingOn[reporter] = silent
        for part in line.components(separatedBy: "; ") where part.hasPrefix("rank ") && part.contains("this host) has exited") {
            if let peer = Int(part.dropFirst("rank ".count).prefix { $0.isNumber }), !goneRanks.contains(peer) { goneRanks.append(peer) }
        }
    }
}
