// TrialExec: the small supervisor every trial runs under. It starts the trial's command, passes
// stop signals on, and records the exit status in the trial folder atomically — so a
// coordinator that died meanwhile still learns how the trial ended and never runs it twice.
import Foundation

/// The supervisor (what `ringtrain trial-exec DIR -- COMMAND...` runs) and its status file.
public enum TrialExec {
    /// File in the trial folder holding the command's exit status once it has ended.
    public static let statusFile = "exit-status"
    /// Environment variable tagging every process of a trial (`<sweep id>:<trial id>`), so
    /// leftovers of a crashed coordinator can be found.
    public static let tagVariable = "RINGTRAIN_TRIAL_TAG"

    /// Runs `command` (argument array) with output appended to `DIR/output.log`, forwards
    /// SIGTERM/SIGINT/SIGUSR1 to it once, then writes `DIR/exit-status`. Returns the status.
    public static func supervise(directory: String, command: [String]) throws -> Int32 {
        guard var executable = command.first else { throw LaunchError("trial-exec: no command given") }
        if !executable.contains("/") {
            guard let found = MPILauncher.which(executable) else {
                try record(127, in: directory)
                throw LaunchError("\(executable): command not found on PATH")
            }
            executable = found
        }
        try? FileManager.default.removeItem(atPath: directory + "/" + statusFile)
        let log = open(directory + "/output.log", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard log >= 0 else { throw LaunchError("cannot write \(directory)/output.log") }
        defer { close(log) }
        let child = try ChildProcess(executable: executable, arguments: Array(command.dropFirst()),
                                     environment: ["RINGTRAIN_TRIAL_DIR": directory], stdoutFD: log, stderrFD: log)
        let forwarder = SignalForwarder(to: child, announce: false)
        let status = child.wait()
        forwarder.stop()
        try record(status, in: directory)
        return status
    }

    /// Writes the status file atomically (temporary file, fsync, rename).
    static func record(_ status: Int32, in directory: String) throws {
        try AtomicFile.write("\(status)\n", to: directory + "/" + statusFile)
    }

    /// The recorded exit status of a trial folder, if its command has ended.
    public static func recordedStatus(in directory: String) -> Int32? {
        guard let text = try? String(contentsOfFile: directory + "/" + statusFile, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Process ids whose environment carries `tag` (the trial's processes, from any earlier
    /// coordinator), found through /proc.
    public static func processes(tagged tag: String) -> [pid_t] {
        let needle = Array("\(tagVariable)=\(tag)\0".utf8)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var result: [pid_t] = []
        for entry in entries {
            guard let pid = pid_t(entry), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            let bytes = [UInt8](data) + [0]
            if bytes.count >= needle.count && contains(bytes, needle) { result.append(pid) }
        }
        return result
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
