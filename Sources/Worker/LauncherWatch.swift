// LauncherWatch: rank 0 of a job that `ringtrain train` launched ends the job when that launcher
// is gone (even SIGKILLed): the launcher holds the write end of rank 0's standard input open. The
// launcher also asks the job to stop through it (`stopLine`): mpirun and srun carry it to rank 0
// on any host, and it waits in the pipe for a rank 0 that has not started yet.
import Collective
import Foundation
import Logging

/// Watches standard input for end of file on a background thread.
public enum LauncherWatch {
    /// Exit status of a rank whose launcher is gone.
    public static let exitStatus: Int32 = 1

    /// The line by which the launcher asks the job to stop (after the greeting).
    public static let stopLine = "ringtrain stop\n"

    /// The line the launcher writes first, so rank 0 knows its standard input is the launcher's;
    /// it names the launcher's host and process id, so rank 0 can tell its death from mpirun
    /// closing the input while it ends the job for another reason (a rank died).
    public static func greeting(pid: Int32 = getpid(), host: String = localHost) -> String {
        "ringtrain launcher \(pid) \(ProcessStat.read(pid)?.startTime ?? 0) \(host)\n"
    }

    /// This machine's node name (uname).
    public static var localHost: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Seconds rank 0 waits after its input closed before it blames a launcher it cannot look
    /// at (on another host): if mpirun closed the input to end the job, it ends rank 0 first.
    static let remoteGrace: UInt32 = 5

    /// Starts the watch: once standard input, having carried the launcher's `greeting`, reaches
    /// end of file (or fails) and the launcher is gone, the process says so on standard error and
    /// exits at once, without calling MPI from this thread; mpirun then ends the other ranks. The
    /// launcher owns the run folder's lock, which the kernel released when it died, so the job
    /// must not keep writing to the folder. Input that ends before any byte arrives (mpirun
    /// `--stdin none`, a batch system giving /dev/null) is not the launcher's: the watch then
    /// stops quietly, as it does when the launcher is still alive (mpirun is ending the job).
    public static func start(rank: Int) {
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 256)
            var received: [UInt8] = []   // the first 256 bytes: the greeting
            var line: [UInt8] = [], lineNumber = 0
            while true {
                let n = read(STDIN_FILENO, &buffer, buffer.count)
                if n > 0 {
                    received += buffer[..<n].prefix(max(0, 256 - received.count))
                    // Each whole line after the first (the greeting) that is the stop line asks to stop.
                    for byte in buffer[..<n] {
                        if byte == UInt8(ascii: "\n") {
                            if lineNumber > 0 && line == Array(stopLine.utf8.dropLast()) { StopRequest.request(SIGUSR1) }
                            lineNumber += 1
                            line.removeAll(keepingCapacity: true)
                        } else if line.count < 64 {
                            line.append(byte)
                        }
                    }
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                break
            }
            guard !received.isEmpty else { return }
            switch launcherState(greeting: String(decoding: received, as: UTF8.self)) {
            case .alive:
                Log.logger.debug("standard input closed while the launcher lives: mpirun is ending the job")
                return
            case .unknown:
                sleep(remoteGrace)
            case .gone:
                break
            }
            Log.logger.error("the launching `ringtrain` process is gone; ending the job (resume it with `ringtrain resume RUN_DIR`)")
            _exit(exitStatus)
        }
    }

    /// What rank 0 can tell of the launcher that wrote `greeting`.
    enum LauncherState: Equatable { case alive, gone, unknown }

    /// Alive or gone when the greeting names a process on this host; unknown otherwise. A process
    /// that has exited (a zombie) or another one under the same pid (another start time) is gone.
    static func launcherState(greeting: String) -> LauncherState {
        let words = greeting.split(separator: "\n").first?.split(separator: " ") ?? []
        guard words.count == 5, words[0] == "ringtrain", words[1] == "launcher",
              let pid = Int32(words[2]), pid > 0, let start = UInt64(words[3]), words[4] == localHost else { return .unknown }
        guard let found = ProcessStat.read(pid), found.state != "Z", found.state != "X", found.startTime == start else { return .gone }
        return .alive
    }
}
