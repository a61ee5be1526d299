// BLASKernelSelection: the start-up decision to re-run this process with OPENBLAS_CORETYPE set,
// guarded by an environment marker so it happens at most once, and the note the run's log prints.
import Foundation

/// What a process does about its BLAS kernels at start (before MPI_Init).
public enum BLASKernelSelection {
    /// Set in the environment of the re-executed process: `<requested core> <detected core>`.
    public static let markerVariable = "RINGTRAIN_BLAS_REEXEC"
    /// OpenBLAS's own variable; a value the user set always wins.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"

    /// The decision for one process.
    public enum Plan: Equatable, Sendable {
        /// Leave everything as it is.
        case keep
        /// Re-execute with `OPENBLAS_CORETYPE=coreType` and the marker set.
        case reexecute(coreType: String, marker: String)
        /// This is the re-executed process: drop both variables (so the processes it starts
        /// decide for their own CPUs) and remember what was chosen.
        case finish(requested: String, detected: String)
    }

    /// The plan from the environment, the CPU and the core OpenBLAS reported; pure.
    public static func plan(environment: [String: String], cpu: CPUInfo, reportedCore: String) -> Plan {
        if let marker = environment[markerVariable] {
            let words = marker.split(separator: " ").map(String.init)
            return .finish(requested: words.first ?? "", detected: words.count > 1 ? words[1] : "")
        }
        if let own = environment[coreTypeVariable], !own.isEmpty { return .keep }
        // Under a vector limit the kernels follow the limited features even where OpenBLAS
        // recognised the CPU (SSE only: Nehalem's kernels).
        let limited = !(environment[CPUInfo.vectorLimitVariable] ?? "").isEmpty
        let reported = limited ? "generic" : reportedCore
        guard let choice = BLASKernelChoice.coreType(for: cpu, reportedCore: reported) ?? (limited ? "Nehalem" : nil) else { return .keep }
        return .reexecute(coreType: choice, marker: "\(choice) \(reportedCore)")
    }

    /// What the run's log says about the kernel choice, from the `.finish` plan and the core
    /// OpenBLAS runs now; nil when nothing was changed.
    public static func note(requested: String, detected: String, running: String, cpu: CPUInfo) -> String {
        let name = cpu.modelName.isEmpty ? "this CPU" : cpu.modelName
        if running.lowercased() == requested.lowercased() {
            return "BLAS kernels: OpenBLAS \(running) (OpenBLAS detected \(detected) on \(name); chosen from its features; "
                + "set \(coreTypeVariable) to choose yourself)"
        }
        return "BLAS kernels: asked OpenBLAS for \(requested) on \(name) (it detected \(detected)) but it runs \(running)"
    }

    /// OpenBLAS cores whose kernels use AVX-512. Lower-cased.
    static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]

    /// The note when the user's own `OPENBLAS_CORETYPE` has OpenBLAS run kernels (`runningCore`)
    /// that leave this CPU's vector extensions unused — kernels without AVX-512 on a CPU with it, or
    /// generic ones on a CPU with AVX2 and FMA. ringtrain keeps the user's choice (it may be
    /// deliberate) and says what it leaves unused, and which core would use it (the one ringtrain
    /// picks itself when OpenBLAS does not recognise the CPU); nil when the kernels suit the CPU or
    /// the user chose none. Pure.
    public static func userChoiceNote(environment: [String: String], cpu: CPUInfo, runningCore: String) -> String? {
        guard environment[markerVariable] == nil, let own = environment[coreTypeVariable], !own.isEmpty,
              let better = BLASKernelChoice.bestCore(for: cpu) else { return nil }
        let running = runningCore.lowercased(), unused: String
        if cpu.hasAVX512 && !avx512Cores.contains(running) {
            unused = "AVX-512"
        } else if BLASKernelChoice.genericCores.contains(running) {
            unused = "AVX2 and FMA"
        } else {
            return nil
        }
        let name = cpu.modelName.isEmpty ? "this CPU" : cpu.modelName
        return "BLAS kernels: \(coreTypeVariable)=\(own) is set in the environment and OpenBLAS runs its \(runningCore) "
            + "kernels, which leave \(name)'s \(unused) unused; unset it to let OpenBLAS or ringtrain choose, or set it to \(better)"
    }

    /// The note for this process, set once at start by the entry point (nil: nothing changed).
    nonisolated(unsafe) public static var currentNote: String?
}
