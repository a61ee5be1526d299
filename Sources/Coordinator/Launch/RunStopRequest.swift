// RunStopRequest: how `train` passes a stop on to its multi-rank job. At once as a line on rank 0's
// standard input (`LauncherWatch.stopLine`): mpirun and srun carry it to rank 0 on any host, and
// it waits in the pipe for a rank 0 still starting. As SIGUSR1 to mpirun too, once every rank can
// catch it — rank 0's heartbeat changed since the launch, so all ranks are past setting their
// handlers — or after `signalAfter` seconds in any case (input that does not reach rank 0).
import Foundation
import Worker

final class RunStopRequest {
    /// Seconds after the request when the ranks are signalled even without a sign of them.
    static let signalAfter = 10.0

    private let input: Int32
    private let runDirectory: String
    /// The heartbeat as it was at the launch (nil: none).
    private let heartbeatAtLaunch: (step: Int, time: Date)?
    private var askedAt: Double?
    private var signalled = false

    /// Before the job starts: `input` is the write end of rank 0's standard input.
    init(input: Int32, runDirectory: String) {
        (self.input, self.runDirectory) = (input, runDirectory)
        heartbeatAtLaunch = Heartbeat.read(runDirectory: runDirectory)
    }

    /// Writes the stop line; false when it cannot be written (the caller signals at once).
    func ask() -> Bool {
        askedAt = Self.now()
        let line = LauncherWatch.stopLine
        guard line.withCString({ write(input, $0, strlen($0)) }) == line.utf8.count else {
            signalled = true
            return false
        }
        return true
    }

    /// True once, when the asked ranks are to be signalled as well.
    func signalDue() -> Bool {
        guard let askedAt, !signalled else { return false }
        let moved = Heartbeat.read(runDirectory: runDirectory).map { now in heartbeatAtLaunch.map { $0 != now } ?? true } ?? false
        guard moved || Self.now() - askedAt >= Self.signalAfter else { return false }
        signalled = true
        return true
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
