// Machine: which machine made a benchmark figure — CPU, vector extensions, BLAS library,
// version, kernels and threads, MPI — as one line for tables and one object for JSON rows.
import Collective
import Foundation
import Model

/// The machine a benchmark runs on, as this process sees it.
public struct Machine: Sendable {
    /// CPU model name (/proc/cpuinfo `model name`).
    public var cpu: String
    /// Vector extensions, space-separated (e.g. `sse2 sse4_2 avx avx2 fma avx512f ...`).
    public var isa: String
    /// BLAS library name, version, kernel set (core) and thread count.
    public var blas: String, blasVersion: String, blasCore: String
    public var threads: Int
    /// MPI library and version (e.g. `Open MPI v4.1.4`).
    public var mpi: String
    /// Set when the environment's `OPENBLAS_CORETYPE` has OpenBLAS run kernels that leave the CPU's
    /// AVX-512 (or AVX2) unused (`BLASKernelSelection.userChoiceNote`): figures made so are not
    /// this CPU's best.
    public var blasNote: String?

    public init(cpu: String, isa: String, blas: String, blasVersion: String, blasCore: String, threads: Int, mpi: String) {
        (self.cpu, self.isa, self.blas, self.blasVersion, self.blasCore, self.threads, self.mpi) =
            (cpu, isa, blas, blasVersion, blasCore, threads, mpi)
    }

    /// Reads back a `json` object (nil when a key is missing).
    public init?(json o: [String: Any]) {
        guard let cpu = o["cpu"] as? String, let isa = o["isa"] as? String, let blas = o["blas"] as? String,
              let version = o["blas_version"] as? String, let core = o["blas_core"] as? String,
              let threads = o["threads"] as? Int, let mpi = o["mpi"] as? String else { return nil }
        self.init(cpu: cpu, isa: isa, blas: blas, blasVersion: version, blasCore: core, threads: threads, mpi: mpi)
        blasNote = o["blas_note"] as? String
    }

    /// This process's machine.
    public static var current: Machine {
        let cpu = CPUInfo.current
        var machine = Machine(cpu: cpu.modelName.isEmpty ? "unknown CPU" : cpu.modelName,
                              isa: cpu.vectorExtensions.joined(separator: " "), blas: BLASLibrary.name,
                              blasVersion: BLASLibrary.version, blasCore: BLASLibrary.core, threads: BLASThreads.count,
                              mpi: MPIEnvironment.libraryVersion)
        machine.blasNote = BLASKernelSelection.userChoiceNote(environment: ProcessInfo.processInfo.environment, cpu: cpu,
                                                              runningCore: BLASLibrary.core)
        return machine
    }

    /// One line for the top of a benchmark's table, and a second with `blasNote` when there is one.
    public var line: String {
        "machine: \(cpu) [\(isa)]; \(blas) \(blasVersion) \(blasCore) kernels, \(threads) thread\(threads == 1 ? "" : "s"); \(mpi)"
            + (blasNote.map { "\nnote: " + $0 } ?? "")
    }

    /// The `machine` object of a `--json` row.
    public var json: [String: Any] {
        var o: [String: Any] = ["cpu": cpu, "isa": isa, "blas": blas, "blas_version": blasVersion, "blas_core": blasCore,
                                "threads": threads, "mpi": mpi]
        if let blasNote { o["blas_note"] = blasNote }
        return o
    }
}
