// BLASKernelReexec: at start, before MPI_Init, re-runs this binary with OPENBLAS_CORETYPE set
// when OpenBLAS fell back to generic kernels on a CPU that supports better ones (same argv and
// environment, same pid, so mpirun's ranks keep their identity).
import Foundation
import Model

/// Choosing better BLAS kernels by re-running the process before it does anything else (or, when
/// the user chose kernels that leave the CPU's extensions unused, noting it).
public enum BLASKernelReexec {
    /// Applies `BLASKernelSelection.plan` to this process: may not return (exec), and on the
    /// re-executed side leaves the note for the run's log in `BLASKernelSelection.currentNote`.
    public static func apply() {
        let cpu = CPUInfo.current
        switch BLASKernelSelection.plan(environment: ProcessInfo.processInfo.environment, cpu: cpu,
                                        reportedCore: BLASLibrary.core) {
        case .keep:
            BLASKernelSelection.currentNote = BLASKernelSelection.userChoiceNote(environment: ProcessInfo.processInfo.environment,
                                                                                 cpu: cpu, runningCore: BLASLibrary.core)
        case .reexecute(let coreType, let marker):
            setenv(BLASKernelSelection.coreTypeVariable, coreType, 1)
            setenv(BLASKernelSelection.markerVariable, marker, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            // exec failed: carry on with the kernels OpenBLAS chose.
            let reason = String(cString: strerror(errno))
            unsetenv(BLASKernelSelection.coreTypeVariable)
            unsetenv(BLASKernelSelection.markerVariable)
            BLASKernelSelection.currentNote = "BLAS kernels: could not re-run with \(BLASKernelSelection.coreTypeVariable)=\(coreType) (\(reason)); using \(BLASLibrary.core)"
        case .finish(let requested, let detected):
            unsetenv(BLASKernelSelection.coreTypeVariable)
            unsetenv(BLASKernelSelection.markerVariable)
            BLASKernelSelection.currentNote = BLASKernelSelection.note(requested: requested, detected: detected,
                                                                       running: BLASLibrary.core, cpu: cpu)
        }
    }
}
