// CrashPoint: named places where a process may be killed on purpose, so tests can prove that
// every durable transition survives a crash there. Off unless RINGTRAIN_CRASH_AT is set.
import Foundation

/// Test-only crash injection shared by every role (checkpoint writer, sweep coordinator, trial
/// supervisor, ...).
///
/// `RINGTRAIN_CRASH_AT=role:name:k` makes the process playing `role` end with `_exit(86)` the
/// k-th time it passes the point `name` (k ≥ 1; `role:name` means k = 1). Each process counts
/// its own passes; processes of other roles ignore the setting. With `RINGTRAIN_CRASH_MARKER=PATH`
/// only the first process to get there dies (it creates PATH; once PATH exists the point is
/// disarmed), so one crash can be aimed at one of many processes of a role. Every point a role
/// may pass is listed in `points`, so tests can enumerate them all. With
/// `RINGTRAIN_CRASH_SIGNAL=N` the process ends by signal N instead (as a kill or a host's failure
/// would end it), not by an exit status of its own.
public enum CrashPoint {
    /// The environment variable read once per process.
    public static let environmentVariable = "RINGTRAIN_CRASH_AT"
    /// The environment variable naming the one-crash marker file.
    public static let markerVariable = "RINGTRAIN_CRASH_MARKER"
    /// Exit status of a process killed at a crash point.
    public static let exitStatus: Int32 = 86
    /// The environment variable naming a signal to end by instead of `exitStatus`.
    public static let signalVariable = "RINGTRAIN_CRASH_SIGNAL"

    /// Every crash point, by role. A point passed under a role must be listed here.
    public static let points: [String: [String]] = [
        "coordinator": [
            "trial-added",          // a suggestion is in the store as pending, not yet started
            "trial-marked-running", // status running, no supervisor started yet
            "supervisor-started",   // supervisor spawned, its pid not yet recorded
            "pid-recorded",         // the running trial's supervisor pid is in the store
            "epoch-recorded",       // one reported epoch written to the store
            "stop-decided",         // an early stop recorded, the trial not yet signalled
            "pause-decided",        // a pause at a rung recorded, the trial not yet signalled
            "trial-promoted",       // a paused trial made pending again, not yet started
            "generation-decided",   // a population's next generation recorded, no checkpoint copied yet
            "checkpoint-half-copied", // an exploiting member's own checkpoints removed, the copy not yet in place
            "checkpoint-copied",    // one exploiting member took over its source's checkpoint
            "generation-started",   // the population's members pending for the next generation
            "trial-concluded",      // a trial's end (finished, stopped, failed, requeued) written
        ],
        "supervisor": [
            "started",              // the supervisor runs, the command not yet started
            "command-started",      // the trial's command runs
            "command-ended",        // the command ended, its status not yet written
            "status-written",       // exit-status written durably
        ],
        "checkpoint": [                 // CheckpointStore.save and prune, in order
            "checkpoints-folder-synced",    // checkpoints/ made and fsynced into the run folder (first save)
            "temp-folder-created",          // the save's .tmp- folder exists, empty
            "model.safetensors",            // model tensors written and fsynced in the temp folder
            "optimizer.safetensors",        // optimizer tensors written and fsynced
            "state-written",                // state.json written, not yet fsynced
            "state.json",                   // state.json fsynced
            "state.sha256",                 // state.json's checksum written and fsynced
            "temp-folder-synced",           // the temp folder's entries fsynced
            "rename",                       // the folder is step-N (a re-save: swapped with the old one)
            "checkpoints-synced",           // checkpoints/ fsynced after the rename
            "old-removed",                  // a re-save's old folder removed
            "latest-written",               // the new latest in its temp file, fsynced
            "latest",                       // latest renamed into place
            "latest-synced",                // checkpoints/ fsynced after it
            "prune-renamed",                // a pruned checkpoint renamed to a .tmp- name
            "prune-removed",                // ... and removed
            "prune-synced",                 // checkpoints/ fsynced after pruning
        ],
    ]

    nonisolated(unsafe) private static var counts: [String: Int] = [:]
    private static let lock = NSLock()
    private static let target: (role: String, name: String, pass: Int)? = parse(
        ProcessInfo.processInfo.environment[environmentVariable])

    /// Parses `role:name[:k]`; nil when unset or malformed.
    static func parse(_ text: String?) -> (role: String, name: String, pass: Int)? {
        guard let text, !text.isEmpty else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        let pass = parts.count == 3 ? Int(parts[2]) : 1
        guard let pass, pass >= 1 else { return nil }
        return (parts[0], parts[1], pass)
    }

    /// Marks that `role` passed `name`; ends the process here when this is the requested pass.
    public static func pass(_ role: String, _ name: String) {
        precondition(points[role]?.contains(name) == true, "crash point \(role):\(name) is not listed in CrashPoint.points")
        guard let target, target.role == role, target.name == name else { return }
        lock.lock()
        counts[name, default: 0] += 1
        let reached = counts[name] == target.pass
        lock.unlock()
        guard reached else { return }
        if let marker = ProcessInfo.processInfo.environment[markerVariable], !marker.isEmpty {
            let fd = open(marker, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            guard fd >= 0 else { return }
            let note = "\(role):\(name) pid \(getpid())\n"
            _ = note.withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
        if let sig = ProcessInfo.processInfo.environment[signalVariable].flatMap(Int32.init), (1...64).contains(sig) {
            signal(sig, SIG_DFL)
            kill(getpid(), sig)
        }
        _exit(exitStatus)
    }
}
