// SelfLauncher: re-runs this very binary under mpirun (argument arrays, never a shell string).
// Used by commands that start their own MPI job, such as `bench allreduce`.
import ArgumentParser
import Foundation

/// Finds `mpirun` and starts `ringtrain` itself on N ranks.
enum SelfLauncher {
    /// The running executable (`/proc/self/exe`, resolved), falling back to argv[0].
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
    }

    /// Absolute path of the first `name` on PATH, or nil.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// mpirun arguments for `ranks` processes on this machine: shared-memory transport,
    /// oversubscription allowed, and yielding when idle once ranks outnumber cores (busy-polling
    /// ranks on a shared core otherwise starve each other).
    static func mpirunArguments(ranks: Int, extra: [String] = []) -> [String] {
        var args = ["--oversubscribe", "-np", "\(ranks)", "--bind-to", "none",
                    "--mca", "btl", "self,vader"]
        if ranks > ProcessInfo.processInfo.activeProcessorCount {
            args += ["--mca", "mpi_yield_when_idle", "1"]
        }
        return args + extra
    }

    /// Runs `mpirun <mpirunArguments> <this binary> <arguments>` with inherited stdout/stderr and
    /// returns its exit status. Sets the run-as-root variables and OPENBLAS_NUM_THREADS=1 (unless set).
    static func run(ranks: Int, arguments: [String], mpirunExtra: [String] = []) throws -> Int32 {
        guard let mpirun = which("mpirun") else {
            throw ValidationError("mpirun not found on PATH (install openmpi-bin)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = mpirunArguments(ranks: ranks, extra: mpirunExtra) + [executablePath] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        if environment["OPENBLAS_NUM_THREADS"] == nil { environment["OPENBLAS_NUM_THREADS"] = "1" }
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
