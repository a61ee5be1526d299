// BLASKernelTests: the built binary picks its BLAS kernels at start (re-executing itself), in
// one process and on every rank under mpirun, and the kernels' sgemm matches a reference loop.
import Foundation
import Testing

struct BLASKernelTests {
    /// What `ringtrain blas-check --json` prints, one object per process.
    private func check(under launcher: [String] = [], environment: [String: String] = [:]) throws -> [[String: Any]] {
        let binary = try #require(BuiltBinary.ringtrain)
        var env = TrainingFixtures.environment
        for (key, value) in environment { env[key] = value }
        let command = launcher + [binary, "blas-check", "--json"]
        let result = try ProcessRunner.run(command[0], Array(command.dropFirst()), environment: env, timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        return TrainingFixtures.jsonLines(result.stdout)
    }

    /// On a CPU with AVX-512 or AVX2 the kernels are never the generic ones, and a note says so
    /// when they were chosen here; nothing leaks to the processes ringtrain starts.
    @Test func choosesKernelsAndTheyMatchTheReference() throws {
        let row = try #require(try check().first)
        #expect(row["ok"] as? Bool == true, "\(row)")
        let core = try #require(row["blas_core"] as? String)
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if flags.contains(" avx2 ") && flags.contains(" fma ") {
            #expect(!["Prescott", "Core2", "Nehalem", "Sandybridge"].contains(core), "\(row)")
        }
        if let note = row["note"] as? String { #expect(note.contains(core)) }
        // None inherited, unless the suite itself runs under a chosen OPENBLAS_CORETYPE (to try another CPU's kernels).
        #expect(row["inherited_coretype"] as? String == ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], "\(row)")
        let machine = try #require(row["machine"] as? [String: Any])
        #expect(machine["blas_core"] as? String == core)
    }

    /// A user's own OPENBLAS_CORETYPE wins and is kept for child processes; where it leaves the
    /// CPU's AVX2 (or AVX-512) unused, a note says so, in the output and in the machine line.
    @Test func userCoreTypeWins() throws {
        let row = try #require(try check(environment: ["OPENBLAS_CORETYPE": "Prescott"]).first)
        #expect(row["blas_core"] as? String == "Prescott" && row["ok"] as? Bool == true, "\(row)")
        #expect(row["inherited_coretype"] as? String == "Prescott")
        // The extensions as the binary sees them (a RINGTRAIN_VECTOR_LIMIT the suite runs under caps them).
        let machine = try #require(row["machine"] as? [String: Any])
        let isa = Set(((machine["isa"] as? String) ?? "").split(separator: " "))
        if isa.contains("avx2") && isa.contains("fma") {
            let note = try #require(row["note"] as? String, "\(row)")
            #expect(note.contains("OPENBLAS_CORETYPE=Prescott") && note.contains("unset"), "\(note)")
            #expect(machine["blas_note"] as? String == note)
        } else {
            #expect(row["note"] == nil, "\(row)")
        }
    }

    /// Under mpirun every rank decides for itself and keeps its MPI environment through the
    /// re-execution.
    @Test func everyRankChoosesUnderMPIRun() throws {
        let mpirun = try #require(BuiltBinary.onPath("mpirun"))
        let rows = try check(under: [mpirun, "-np", "2", "--oversubscribe"])
        #expect(Set(rows.compactMap { $0["rank"] as? Int }) == [0, 1], "\(rows)")
        let single = try #require(try check().first)
        for row in rows {
            #expect(row["ok"] as? Bool == true && row["blas_core"] as? String == single["blas_core"] as? String, "\(row)")
        }
    }
}
