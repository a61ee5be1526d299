// TrialExec: the small supervisor every trial runs under. It outlives the coordinator, starts the
// trial's command, enforces the trial's time limit, stops the whole process tree when asked, and
// records the attempt's end durably — so a coordinator that died meanwhile still learns it.
import Foundation
import Model
import Synchronization
import Worker

private let supervisorStopSignal = Atomic<Int32>(0)

/// The supervisor (what `ringtrain trial-exec DIR --attempt N -- COMMAND...` runs) and its
/// status file.
public enum TrialExec {
    /// File in the trial folder recording how the latest attempt ended (`TrialExitRecord` JSON).
    public static let statusFile = "exit-status"
    /// Environment variable tagging every process of a trial (`<sweep id>:<trial id>`), so its
    /// processes can be found through /proc whoever started them.
    public static let tagVariable = "RINGTRAIN_TRIAL_TAG"

    /// The line the supervisor writes to `output.log` before an attempt's command starts; what a
    /// program prints after the last such line belongs to that attempt.
    public static func attemptMarker(_ attempt: Int) -> String { markerPrefix + "\(attempt) ==" }
    /// The start every attempt marker shares.
    public static let markerPrefix = "== ringtrain: trial attempt "
    /// Whether the supervisor of attempt `attempt` began writing the log at `path` (its marker
    /// line is there): it started.
    public static func attemptBegan(log path: String, attempt: Int) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return data.range(of: Data(("\n" + attemptMarker(attempt) + "\n").utf8)) != nil
    }

    /// What the supervisor needs besides the command.
    public struct Limits: Sendable {
        /// The attempt's number (recorded with its status, so a stale status is never trusted).
        public var attempt: Int
        /// Seconds the command may run before it is stopped and the attempt fails with reason
        /// `timeout`. Default nil: no limit.
        public var timeout: Double?
        /// Seconds between asking the command to stop (SIGTERM) and killing its whole process
        /// tree (SIGKILL). Default 60.
        public var grace: Double = 60
        /// Seconds the trial's processes get to go after SIGKILL; one still there then (stuck
        /// in the kernel, or held by a stopped debugger) is named in the status file and the log,
        /// and the attempt ends without it. Default 5.
        public var killWait: Double = 5
        /// Whether the command is a launcher of a distributed program's ranks (mpirun, srun):
        /// then a stop's SIGTERM goes first to its ranks on this machine (`ProgramRank.marker`),
        /// and to the launcher once they have ended (or at the grace period's end) — mpirun,
        /// asked first, would give them a second before SIGKILL. Default false.
        public var stopEveryProcess = false
        public init(attempt: Int, timeout: Double? = nil, grace: Double = 60, killWait: Double = 5, stopEveryProcess: Bool = false) {
            self.attempt = attempt
            self.timeout = timeout
            self.grace = grace
            self.killWait = killWait
            self.stopEveryProcess = stopEveryProcess
        }
    }

    /// Runs `command` (argument array) with output appended to `DIR/output.log`. SIGTERM or
    /// SIGINT to the supervisor, or the time limit, sends SIGTERM to the command, and after the
    /// grace period SIGKILL to every process of the trial. When the command has ended, any
    /// process of the trial still alive is killed, then `DIR/exit-status` is written. Waits for
    /// killed processes at most `limits.killWait`: what is left then is recorded as leftovers.
    /// Returns the command's exit status (137 for a command that outlived SIGKILL).
    public static func supervise(directory: String, limits: Limits, command: [String]) throws -> Int32 {
        CrashPoint.pass("supervisor", "started")
        let tag = ProcessInfo.processInfo.environment[tagVariable]
        installStopHandlers()
        // Whatever keeps the command from starting is recorded as its end (exit 127), so the
        // attempt fails like any other instead of being taken for a lost supervisor.
        func notStarted(_ message: String) throws -> Never {
            try record(TrialExitRecord(attempt: limits.attempt, status: 127, ended: .exited), in: directory)
            throw LaunchError(message)
        }
        let log = open(directory + "/output.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { try notStarted("cannot write \(directory)/output.log: \(String(cString: strerror(errno)))") }
        defer { close(log) }
        // On a line of its own, even when the previous attempt ended mid-line.
        _ = ("\n" + attemptMarker(limits.attempt) + "\n").withCString { write(log, $0, strlen($0)) }
        guard var executable = command.first else { try notStarted("trial-exec: no command given") }
        if !executable.contains("/") {
            guard let found = ExecutableSearch.find(executable) else { try notStarted("\(executable): command not found on PATH") }
            executable = found
        }
        let child: ChildProcess
        do {
            child = try ChildProcess(executable: executable, arguments: Array(command.dropFirst()),
                                     environment: ["RINGTRAIN_TRIAL_DIR": directory], stdoutFD: log, stderrFD: log)
        } catch {
            let interpreter = FileManager.default.isExecutableFile(atPath: executable)
                ? " (the file exists: is the interpreter on its #! line installed?)" : ""
            let message = "\(error)\(interpreter)"
            _ = ("trial-exec: " + message + "\n").withCString { write(log, $0, strlen($0)) }
            try notStarted(message)
        }
        CrashPoint.pass("supervisor", "command-started")
        let started = monotonicSeconds()
        var ending = TrialExitRecord.Ending.exited
        var stopSentAt: Double?
        var launcherStopDue = false   // the ranks here were asked first; the launcher is asked when they are gone
        var killedAt: Double?
        var status: Int32
        while true {
            if let ended = child.poll() { status = ended; break }
            let now = monotonicSeconds()
            if let killed = killedAt {
                // Killed but not gone: it is named as a leftover below rather than waited for.
                if now - killed >= limits.killWait { status = 128 + SIGKILL; break }
            } else if stopSentAt == nil {
                if supervisorStopSignal.load(ordering: .relaxed) != 0 {
                    ending = .stopped
                } else if let timeout = limits.timeout, now - started >= timeout {
                    ending = .timeout
                }
                if ending != .exited {
                    let ranks = limits.stopEveryProcess ? tag.map { rankProcesses(tagged: $0) } ?? [] : []
                    if ranks.isEmpty {
                        child.signalGroup(SIGTERM)
                    } else {
                        for pid in ranks { sendSignal(SIGTERM, to: pid, tagged: tag!) }
                        launcherStopDue = true
                    }
                    stopSentAt = now
                }
            } else if launcherStopDue, let tag, rankProcesses(tagged: tag).isEmpty || now - stopSentAt! >= limits.grace {
                child.signalGroup(SIGTERM)
                launcherStopDue = false
            } else if let sent = stopSentAt, now - sent >= limits.grace {
                killTree(child: child, tag: tag)
                killedAt = now
            }
            usleep(20_000)
        }
        // Processes of the trial that outlived the command get the rest of the grace period.
        let deadline = stopSentAt.map { $0 + limits.grace } ?? monotonicSeconds() + limits.grace
        if let tag, !attemptProcesses(tagged: tag).isEmpty {
            child.signalGroup(SIGTERM)
            for pid in attemptProcesses(tagged: tag) { sendSignal(SIGTERM, to: pid, tagged: tag) }
            while !attemptProcesses(tagged: tag).isEmpty && monotonicSeconds() < deadline { usleep(50_000) }
        }
        killTree(child: child, tag: tag)
        // What is left of the kill wait (a moment at least: some were only just killed).
        let waitLeft = killedAt.map { $0 + limits.killWait - monotonicSeconds() } ?? limits.killWait
        let leftovers = waitForKilled(child: child, tag: tag, seconds: min(limits.killWait, max(0.5, waitLeft)))
        if child.isReaped, let ended = child.poll() { status = ended }
        if !leftovers.isEmpty {
            let lines = leftovers.map { "trial-exec: still alive after SIGKILL, left behind: \($0)\n" }.joined()
            _ = lines.withCString { write(log, $0, strlen($0)) }
        }
        CrashPoint.pass("supervisor", "command-ended")
        try record(TrialExitRecord(attempt: limits.attempt, status: status, ended: ending,
                                   leftovers: leftovers.isEmpty ? nil : leftovers), in: directory)
        CrashPoint.pass("supervisor", "status-written")
        return status
    }

    /// The trial's tagged processes that this attempt started: none can be older than its
    /// supervisor, so what an earlier attempt left behind unkillable is not waited for again.
    private static func attemptProcesses(tagged tag: String) -> [pid_t] {
        guard let me = ProcessIdentity.current(getpid()) else { return processes(tagged: tag) }
        return processes(tagged: tag).filter { pid in
            ProcessIdentity.status(pid).map { $0.startTime >= me.startTime } ?? false
        }
    }

    /// The attempt's processes that are ranks of a distributed program (their shim marked them).
    private static func rankProcesses(tagged tag: String) -> [pid_t] {
        attemptProcesses(tagged: tag).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return data.split(separator: 0).contains { $0.starts(with: Array((ProgramRank.marker + "=").utf8)) }
        }
    }

    /// SIGKILL to the command's process group and to every process this attempt started that carries the trial's tag.
    private static func killTree(child: ChildProcess, tag: String?) {
        child.signalGroup(SIGKILL)
        if let tag { for pid in attemptProcesses(tagged: tag) { sendSignal(SIGKILL, to: pid, tagged: tag) } }
    }

    /// Waits up to `seconds` for the killed command and the trial's other processes to go; returns
    /// a description (pid, command line, state) of each still there.
    private static func waitForKilled(child: ChildProcess, tag: String?, seconds: Double) -> [String] {
        func remaining() -> [pid_t] {
            (child.poll() == nil ? [child.pid] : []) + (tag.map { attemptProcesses(tagged: $0) } ?? []).filter { $0 != child.pid }
        }
        let deadline = monotonicSeconds() + seconds
        var left = remaining()
        while !left.isEmpty && monotonicSeconds() < deadline {
            usleep(20_000)
            left = remaining()
        }
        return left.map(ProcessIdentity.describe)
    }

    private static func installStopHandlers() {
        _ = supervisorStopSignal.load(ordering: .relaxed)   // initialised here, never first inside the handler
        signal(SIGCHLD, SIG_DFL)   // an inherited SIG_IGN would make the command's status unobtainable
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGCHLD] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { received in supervisorStopSignal.store(received, ordering: .relaxed) }
        }
        signal(SIGUSR1, SIG_IGN)
    }

    /// Seconds on the monotonic clock (wall-clock changes do not move time limits).
    static func monotonicSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Writes the status file atomically (temporary file, fsync, rename).
    static func record(_ record: TrialExitRecord, in directory: String) throws {
        let data = try JSONEncoder().encode(record)
        try AtomicFile.write(String(decoding: data, as: UTF8.self) + "\n", to: directory + "/" + statusFile)
    }

    /// How attempt `attempt` of the trial in `directory` ended, if it has; a status file of
    /// another attempt is ignored.
    public static func recordedEnd(in directory: String, attempt: Int) -> TrialExitRecord? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + statusFile), data.count < 4096 else { return nil }
        if let record = try? JSONDecoder().decode(TrialExitRecord.self, from: data) {
            return record.attempt == attempt ? record : nil
        }
        // A plain number: written by an earlier version, which had no attempt numbers.
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text).map { TrialExitRecord(attempt: attempt, status: $0, ended: .exited) }
    }

    /// Removes the status file of an earlier attempt, durably, before a new attempt starts.
    public static func clearRecordedEnd(in directory: String) throws {
        let path = directory + "/" + statusFile
        guard unlink(path) == 0 || errno == ENOENT else {
            throw LaunchError("cannot remove \(path): \(String(cString: strerror(errno)))")
        }
        try DurableFile.syncFolder(directory)
    }

    /// Process ids whose environment carries `tag` (the trial's processes, whoever started
    /// them), found through /proc; this process is never included.
    public static func processes(tagged tag: String) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { pid_t($0) }.filter { $0 != getpid() && carries($0, tag: tag) }
    }

    /// Whether process `pid` carries `tag` in its environment.
    static func carries(_ pid: pid_t, tag: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
        return contains([UInt8](data) + [0], Array("\(tagVariable)=\(tag)\0".utf8))
    }

    /// Sends `sig` to `pid` only if it carries `tag` when the signal goes: the process is held by
    /// a pidfd from before the check, so a PID reused by another process is never signalled.
    /// Returns whether the signal was sent.
    @discardableResult
    public static func sendSignal(_ sig: Int32, to pid: pid_t, tagged tag: String) -> Bool {
        ProcessIdentity.signal(pid, sig) { carries(pid, tag: tag) }
    }

    /// The trial's supervisor among its tagged processes (the one running `trial-exec`).
    public static func supervisor(tagged tag: String) -> pid_t? {
        processes(tagged: tag).first { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let argv = data.split(separator: 0, omittingEmptySubsequences: false)
            return argv.count > 1 && String(decoding: argv[1], as: UTF8.self) == "trial-exec"
        }
    }

    /// The tag of trial `id` of sweep `sweepID` in `runDirectory`: the folder's device and inode
    /// are part of it, so a copy of the folder never takes the original's processes for its own.
    public static func tag(sweepID: String, runDirectory: String, trial id: Int) -> String {
        var info = stat()
        let folder = stat(runDirectory, &info) == 0 ? "\(info.st_dev).\(info.st_ino)" : "?"
        return "\(sweepID):\(folder):\(id)"
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        // Entries start at 0 or after a NUL.
        var start = 0
        while start <= haystack.count - needle.count {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return true }
            guard let next = haystack[start...].firstIndex(of: 0) else { return false }
            start = next + 1
        }
        return false
    }
}

/// How one attempt of a trial ended, as its supervisor recorded it.
public struct TrialExitRecord: Codable, Sendable, Equatable {
    /// Why the command ended.
    public enum Ending: String, Codable, Sendable {
        /// On its own.
        case exited
        /// Asked to stop (the sweep was stopped, or early termination).
        case stopped
        /// Stopped by the supervisor at the trial's time limit.
        case timeout
    }
    /// The attempt's number.
    public var attempt: Int
    /// Exit status, or 128 + the signal that ended the command.
    public var status: Int32
    public var ended: Ending
    /// Processes of the trial still alive after SIGKILL and the supervisor's wait for them
    /// (`pid N: COMMAND (state S)`), left behind when the attempt ended; nil when there were none.
    public var leftovers: [String]? = nil
}
