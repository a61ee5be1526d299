// LauncherWatch: rank 0 of a job that `ringtrain train` launched ends the job when that launcher
// is gone (even SIGKILLed): the launcher holds the write end of rank 0's standard input open.
import Foundation
import Logging

/// Watches standard input for end of file on a background thread.
public enum LauncherWatch {
    /// Exit status of a rank whose launcher is gone.
    public static let exitStatus: Int32 = 1

    /// The line the launcher writes first, so rank 0 knows its standard input is the launcher's.
    public static let greeting = "ringtrain launcher\n"

    /// Starts the watch: once standard input, having carried the launcher's `greeting`, reaches
    /// end of file (or fails), the process says so on standard error and exits at once, without
    /// calling MPI from this thread; mpirun then ends the other ranks. The launcher owns the run
    /// folder's lock, which the kernel released when it died, so the job must not keep writing
    /// to the folder. Input that ends before any byte arrives (mpirun `--stdin none`, a batch
    /// system giving /dev/null) is not the launcher's: the watch then stops quietly.
    public static func start(rank: Int) {
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 256)
            var received = 0
            while true {
                let n = read(STDIN_FILENO, &buffer, buffer.count)
                if n > 0 { received += n; continue }
                if n < 0 && errno == EINTR { continue }
                break
            }
            guard received > 0 else { return }
            Log.logger.error("the launching `ringtrain` process is gone; ending the job (resume it with `ringtrain resume RUN_DIR`)")
            _exit(exitStatus)
        }
    }
}
