// MPILauncher: builds the mpirun command line for a job from the cluster section (ranks, hosts
// or hostfile, network, environment, extra arguments) and runs it with an argument array.
import Foundation
import Model
import Logging
import Worker

/// A process to start: executable, arguments, environment. Never a shell string.
public struct LaunchCommand: Sendable, Equatable {
    public var executable: String
    public var arguments: [String]
    /// Variables added to (or replacing) the launcher's own environment.
    public var environment: [String: String]
}

/// Errors starting a job.
public struct LaunchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Starts `ringtrain` itself on N ranks under mpirun.
public enum MPILauncher {
    /// The running executable (`/proc/self/exe` resolved), so every rank runs this very binary.
    public static var selfExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The mpirun command running `program arguments` on `ranks` ranks as `cluster` says.
    ///
    /// Every rank gets OPENBLAS_NUM_THREADS=1 unless `cluster.env` sets it, and this process's
    /// RINGTRAIN_LOG_LEVEL and RINGTRAIN_VECTOR_LIMIT when set; with no hosts
    /// listed, ranks share this machine over shared memory; when ranks outnumber this machine's
    /// cores (oversubscribed), idle ranks yield the CPU instead of busy-polling.
    public static func command(cluster: ClusterSpec, ranks: Int, program: String, arguments: [String],
                               mpirun: String = "mpirun") -> LaunchCommand {
        var args = ["-np", "\(ranks)"]
        if cluster.oversubscribe { args.append("--oversubscribe") }
        if !cluster.hosts.isEmpty {
            args += ["--host", cluster.hosts.map { "\($0.host):\($0.slots)" }.joined(separator: ",")]
        } else if let hostfile = cluster.hostfile {
            args += ["--hostfile", hostfile]
        }
        if let network = cluster.network {
            args += ["--mca", "btl_tcp_if_include", network, "--mca", "oob_tcp_if_include", network]
        }
        let local = !cluster.listsHosts
        if local && ranks > ProcessInfo.processInfo.activeProcessorCount {
            if !choosesBinding(cluster.mpirunArgs) { args += ["--bind-to", "none"] }
            args += ["--mca", "mpi_yield_when_idle", "1"]
        }
        var environment = cluster.environment
        if environment["OPENBLAS_NUM_THREADS"] == nil { environment["OPENBLAS_NUM_THREADS"] = "1" }
        // Ranks on other hosts log at this process's level too (local ones inherit it anyway).
        for key in [Log.levelVariable, CPUInfo.vectorLimitVariable] where environment[key] == nil {
            if let value = ProcessInfo.processInfo.environment[key] { environment[key] = value }
        }
        for key in environment.keys.sorted() { args += ["-x", "\(key)=\(environment[key]!)"] }
        args += cluster.mpirunArgs
        args += [program] + arguments
        var launcherEnvironment: [String: String] = [:]
        if getuid() == 0 {
            launcherEnvironment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            launcherEnvironment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        }
        return LaunchCommand(executable: mpirun, arguments: args, environment: launcherEnvironment)
    }

    /// Whether mpirun `arguments` choose how ranks are bound to cores (`--bind-to X`, `--bind-to=X`).
    static func choosesBinding(_ arguments: [String]) -> Bool {
        arguments.contains { $0.hasSuffix("-bind-to") || $0.contains("-bind-to=") }
    }

    /// `arguments` with `--bind-to none` first unless they choose a binding: jobs that may share a
    /// host are not all pinned to its first cores (Open MPI's default for a job of 1 or 2 ranks).
    public static func unpinned(_ arguments: [String]) -> [String] {
        choosesBinding(arguments) ? arguments : ["--bind-to", "none"] + arguments
    }

    /// Runs `command` and returns its exit status and standard output (stderr passes through).
    public static func capture(_ command: LaunchCommand) throws -> (Int32, String) {
        let pipe = Pipe()
        let child = try start(command, stdoutFD: pipe.fileHandleForWriting.fileDescriptor)
        try pipe.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return (child.wait(), String(decoding: data, as: UTF8.self))
    }

    /// Runs `command` with this process's stdout (and its stderr, through `StopBannerFilter`)
    /// and returns its exit status.
    /// SIGINT, SIGTERM or SIGUSR1 received meanwhile are passed on once, as SIGUSR1, which
    /// mpirun forwards to every rank (it does not forward SIGTERM); what the ranks do with it is
    /// theirs (a benchmark's end). Training runs through `runWatched`, whose ranks checkpoint and
    /// exit with code 3.
    ///
    /// With `watchedByRankZero` (default false) the job's standard input is a pipe this process
    /// holds open (close-on-exec) while it lives, after writing `LauncherWatch.greeting()` to it;
    /// mpirun forwards it to rank 0, which sees end of file when this process dies, even by
    /// SIGKILL, and ends the job (`LauncherWatch`).
    public static func run(_ command: LaunchCommand, watchedByRankZero: Bool = false) throws -> Int32 {
        try runWatched(command, watchedByRankZero: watchedByRankZero, stopNotice: "the ranks are asked to stop").status
    }

    /// How a job run by `runWatched` ended.
    public struct Ending: Sendable {
        /// mpirun's exit status (128 + the signal when it was ended by one).
        public var status: Int32
        /// What mpirun and the ranks said on standard error about the job's end.
        public var evidence: JobEndingEvidence
        /// Whether this process was asked to stop (a signal `StopLatch` catches) and passed it on.
        public var stopAsked: Bool
        /// When the first sign of a failure was seen (nil: none).
        public var failureSeen: Date?
    }

    /// `run`, also gathering `JobEndingEvidence` from standard error and bounding mpirun's
    /// teardown: once a failure is seen, mpirun may take `teardownBound` seconds (default 15) to
    /// exit; past them its process group is killed (a daemon on a host whose network went away
    /// keeps mpirun waiting forever).
    /// A stop signal (`stop`, or one caught for this call alone when nil) is passed on once, after
    /// logging "stopping — `stopNotice`" (default: what training ranks do with it): as SIGUSR1 to
    /// mpirun, or for a training run in `runDirectory` watched by rank 0 through `RunStopRequest`
    /// (a signal alone would miss ranks not started yet, or end ranks whose handlers are not set yet).
    /// With `output`, standard output passes through it line by line (default: untouched).
    static func runWatched(_ command: LaunchCommand, watchedByRankZero: Bool = false, teardownBound: Double = 15,
                           stop: StopLatch? = nil, output: ReportLineFilter? = nil, runDirectory: String? = nil,
                           stopNotice: String = "the ranks finish their step and save a checkpoint") throws -> Ending {
        var stdinFD: Int32?
        var keepOpen: Int32 = -1
        if watchedByRankZero { (stdinFD, keepOpen) = try closeOnExecPipe() }
        defer { if keepOpen >= 0 { close(keepOpen) } }
        // mpirun's standard error comes through a pipe, so an orderly stop's "aborted" notices
        // can be left out (`StopBannerFilter`); the write end lives only in the child.
        let errorPipe: (read: Int32, write: Int32), outputPipe: (read: Int32, write: Int32)?
        do {
            errorPipe = try closeOnExecPipe()
            do { outputPipe = try output.map { _ in try closeOnExecPipe() } } catch {
                close(errorPipe.read)
                close(errorPipe.write)
                throw error
            }
        } catch {
            if let stdinFD { close(stdinFD) }
            throw error
        }
        let child: ChildProcess
        do {
            child = try start(command, stdoutFD: outputPipe?.write, stderrFD: errorPipe.write, stdinFD: stdinFD)
        } catch {
            let fds = [errorPipe.read, errorPipe.write] + (stdinFD.map { [$0] } ?? []) + (outputPipe.map { [$0.read, $0.write] } ?? [])
            for fd in fds { close(fd) }
            throw error
        }
        close(errorPipe.write)
        if let outputPipe { close(outputPipe.write) }
        let watch = EndingWatch()
        let relayed = StopBannerFilter.relay(from: errorPipe.read, observe: watch.feed)
        let relayedOutput = output.flatMap { filter in outputPipe.map { LineRelay.start(from: $0.read, to: STDOUT_FILENO, feed: filter.feed) } }
        if let stdinFD {
            close(stdinFD)
            _ = LauncherWatch.greeting().withCString { write(keepOpen, $0, strlen($0)) }
        }
        let runStop = watchedByRankZero && keepOpen >= 0 ? runDirectory.map { RunStopRequest(input: keepOpen, runDirectory: $0) } : nil
        let latch = stop ?? StopLatch()
        defer { if stop == nil { latch.release() } }
        var forwarded = false
        var status = child.poll()
        while status == nil {
            usleep(50_000)
            if !forwarded && latch.requested != nil {
                forwarded = true
                Log.logger.info("ringtrain: stopping — \(stopNotice)")
                if runStop?.ask() != true { child.signal(SIGUSR1) }
            }
            if runStop?.signalDue() == true { child.signal(SIGUSR1) }
            status = child.poll()
            if status == nil, let seen = watch.failureSeen, DispatchTime.now().uptimeNanoseconds - seen > UInt64(teardownBound * 1e9) {
                Log.logger.warning("mpirun has not exited \(Int(teardownBound)) s after the job failed; ending it")
                child.signalGroup(SIGKILL)
                status = child.wait()
            }
        }
        // The ranks' last lines may still be on their way through mpirun's pipe; a process that
        // outlives mpirun and keeps it open is not waited for long.
        _ = relayed.wait(timeout: .now() + 5)
        _ = relayedOutput?.wait(timeout: .now() + 5)
        let seen = watch.failureSeen.map { Date().addingTimeInterval(-Double(DispatchTime.now().uptimeNanoseconds - $0) / 1e9) }
        return Ending(status: status!, evidence: watch.finish(), stopAsked: forwarded || latch.requested != nil, failureSeen: seen)
    }

    /// A pipe whose two ends are closed on exec (a child gets one only through its dup2).
    private static func closeOnExecPipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw LaunchError("cannot make a pipe: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    private static func start(_ command: LaunchCommand, stdoutFD: Int32?, stderrFD: Int32? = nil, stdinFD: Int32? = nil) throws -> ChildProcess {
        var executable = command.executable
        if !executable.contains("/") {
            guard let found = ExecutableSearch.find(executable) else {
                throw LaunchError("\(executable) not found on PATH (install Open MPI: apt-get install openmpi-bin)")
            }
            executable = found
        }
        Log.logger.debug("starting \(([executable] + command.arguments).joined(separator: " "))")
        return try ChildProcess(executable: executable, arguments: command.arguments,
                                environment: command.environment, stdoutFD: stdoutFD, stderrFD: stderrFD, stdinFD: stdinFD)
    }
}

/// The evidence of a running job's end, fed from the relay thread and read by the launcher.
private final class EndingWatch: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var evidence = JobEndingEvidence()
    private var seen: UInt64?

    func feed(_ line: String) {
        lock.withLock {
            evidence.feed(line)
            if seen == nil && evidence.jobEnding { seen = DispatchTime.now().uptimeNanoseconds }
        }
    }

    /// When the first sign of a failure was read (monotonic nanoseconds), if any.
    var failureSeen: UInt64? { lock.withLock { seen } }

    func finish() -> JobEndingEvidence {
        lock.withLock {
            evidence.finish()
            return evidence
        }
    }
}
