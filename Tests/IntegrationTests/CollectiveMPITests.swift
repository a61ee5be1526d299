// CollectiveMPITests: the ring collectives under a real `mpirun --oversubscribe -np N`.
// Runs the hidden `ringtrain collective-check`, which compares against MPI_Allreduce / MPI_Bcast.
import Foundation
import Testing

@Suite(.serialized) struct CollectiveMPITests {
    /// mpirun arguments for N local ranks over shared memory (fine on a 2-core machine).
    static func mpirun(_ ranks: Int, _ arguments: [String]) throws -> ProcessResult {
        let mpirun = try #require(BuiltBinary.onPath("mpirun"), "mpirun not on PATH (scripts/setup installs it)")
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        var args = ["--oversubscribe", "-np", "\(ranks)", "--bind-to", "none", "--mca", "btl", "self,vader"]
        if ranks > ProcessInfo.processInfo.activeProcessorCount { args += ["--mca", "mpi_yield_when_idle", "1"] }
        return try ProcessRunner.run(mpirun, args + [binary] + arguments, environment: rootEnvironment,
                                     timeout: 120)
    }

    static let rootEnvironment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                                  "OPENBLAS_NUM_THREADS": "1"]

    @Test func singletonWithoutMPIRun() throws {
        let binary = try #require(BuiltBinary.ringtrain, "ringtrain not built: run `swift build`")
        let result = try ProcessRunner.run(binary, ["collective-check", "--lengths", "0,1,1000"],
                                           environment: Self.rootEnvironment, timeout: 60)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("collective-check: ok (1 ranks"), "\(result.output)")
    }

    @Test(arguments: 2...4)
    func ringMatchesMPIAllreduce(ranks: Int) throws {
        let lengths = Set([0, 1, 2, ranks - 1, ranks + 1, 1000, 3001, 65537, 1_000_003]).sorted()
        let result = try Self.mpirun(ranks, ["collective-check", "--seed", "\(ranks * 11)",
                                             "--lengths", lengths.map(String.init).joined(separator: ",")])
        #expect(!result.timedOut, "timed out: \(result.output)")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("collective-check: ok (\(ranks) ranks"), "\(result.output)")
    }

    /// Small chunks: many pipelined messages per segment under real MPI (the default sends
    /// these lengths' segments whole).
    @Test func smallChunksUnderMPI() throws {
        let result = try Self.mpirun(3, ["collective-check", "--chunk-elements", "1000", "--whole-segment-elements", "0",
                                         "--lengths", "0,2,4,10007,65537,1000003"])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test(arguments: [2, 3])
    func mismatchedLengthsAreReported(ranks: Int) throws {
        let result = try Self.mpirun(ranks, ["collective-check", "--mismatch", "--lengths", "1000"])
        #expect(!result.timedOut, "hung instead of reporting: \(result.output)")
        #expect(result.status != 0)
        #expect(result.output.contains("length mismatch"), "\(result.output)")
        #expect(result.output.contains("1001") && result.output.contains("1000 elements"), "\(result.output)")
    }
}
