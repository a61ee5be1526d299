// ProcessRunner: runs a child process with a deadline; on timeout kills its whole process group.
// A hung mpirun job then fails its test instead of hanging CI. Shared by the integration tests.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What a finished (or killed) child left behind.
struct ProcessResult: Sendable {
    /// Exit status; 128 + signal number when killed by a signal.
    var status: Int32
    var stdout: String
    var stderr: String
    /// True when the deadline passed and the process group was killed.
    var timedOut: Bool
    /// stdout followed by stderr, for messages in failed expectations.
    var output: String { stdout + stderr }
}

/// Starts processes with argument arrays (posix_spawn, never a shell), each in a new process
/// group, output captured through temporary files.
enum ProcessRunner {
    /// Runs `executable` with `arguments`; `environment` entries are added to this process's
    /// environment. After `timeout` seconds (default 120) the group gets SIGTERM, then SIGKILL 3 s later.
    /// Every process the run starts carries a mark in its environment; unless the caller gave its
    /// own mark (to check leftovers itself), a process of the run still alive a few seconds after
    /// it ended is a test failure (and is killed): no mpirun, orted, rank or objective outlives its test.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    timeout: Double = 120) throws -> ProcessResult {
        var environment = environment
        let ownMark = environment[SweepHarness.markVariable] == nil
        if ownMark { environment[SweepHarness.markVariable] = UUID().uuidString }
        let result = try spawnAndWait(executable, arguments, environment: environment, timeout: timeout)
        if ownMark {
            let mark = environment[SweepHarness.markVariable]!
            let left = SweepHarness.leftoversAfterSettling(mark)
            if !left.isEmpty {
                Issue.record("\(URL(fileURLWithPath: executable).lastPathComponent) \(arguments.joined(separator: " ")) left processes behind: \(left)")
                for entry in left { if let pid = Int32(entry.prefix { $0 != ":" }) { kill(pid, SIGKILL) } }
            }
        }
        return result
    }

    private static func spawnAndWait(_ executable: String, _ arguments: [String], environment: [String: String],
                                     timeout: Double) throws -> ProcessResult {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ringtrain-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outPath = directory.appendingPathComponent("stdout").path
        let errPath = directory.appendingPathComponent("stderr").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts as from a shell: no signal blocked (the test's worker thread blocks
        // many, and the mask is inherited) and the stop signals at their defaults.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw NSError(domain: "ProcessRunner", code: Int(rc),
                          userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(executable): \(String(cString: strerror(rc)))"])
        }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var timedOut = false
        var killAt: Date? = nil
        while waitpid(pid, &status, WNOHANG) == 0 {
            if !timedOut && Date() > deadline {
                timedOut = true
                kill(-pid, SIGTERM)
                killAt = Date().addingTimeInterval(3)
            } else if let killAt, Date() > killAt {
                kill(-pid, SIGKILL)
            }
            usleep(20_000)
        }
        if timedOut { kill(-pid, SIGKILL) }  // stragglers left in the group
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return ProcessResult(status: exitStatus, stdout: read(outPath), stderr: read(errPath), timedOut: timedOut)
    }
}
