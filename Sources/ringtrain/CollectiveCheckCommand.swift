// CollectiveCheckCommand: hidden `ringtrain collective-check`, run under mpirun by the integration tests.
// Checks the ring against MPI_Allreduce / MPI_Bcast on seeded data; rank 0 reports, exit 1 on any mismatch.
import ArgumentParser
import Collective
import Coordinator
import Foundation
import Logging
import Worker

struct CollectiveCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collective-check",
        abstract: "Check the ring collectives against MPI's own (run under mpirun).",
        shouldDisplay: false)

    @Option(parsing: .unconditional, help: "Comma-separated buffer lengths in elements.")
    var lengths: String = "0,1,2,3,5,1000,65537,1000003"

    @Option(parsing: .unconditional, help: "Seed of the random data.")
    var seed: UInt64 = 7

    @OptionGroup var ring: RingTuningOptions

    @Flag(help: "Make rank 0's buffer one element longer and expect a length-mismatch error.")
    var mismatch = false

    func run() throws {
        let comm = try MPICommunicator.world()
        let collectives = Collectives(comm, options: ring.applied(to: CollectiveOptions()))
        let list = lengths.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if mismatch { CollectiveCheck.runMismatch(collectives, comm, length: list.last ?? 1000) }

        let failures = try CollectiveCheck.run(collectives, comm, lengths: list, seed: seed)
        for failure in failures { Log.logger.error("\(failure)") }
        var worst = [Double(failures.count)]
        try comm.mpiAllReduceMax(&worst)
        try MPIEnvironment.finalize()
        if comm.rank == 0 {
            print(worst[0] == 0
                  ? "collective-check: ok (\(comm.size) ranks, lengths \(list))"
                  : "collective-check: FAILED (up to \(Int(worst[0])) mismatches on a rank)")
        }
        if worst[0] != 0 { throw ExitCode(1) }
    }
}
