// MPIEnvironment: MPI start-up and shut-down, and detection of an mpirun launch.
// MPI_Init_thread(SERIALIZED) happens once per process; a process not started by mpirun is a singleton.
import CMPI
import Foundation
import Synchronization

/// Process-wide MPI state. All MPI initialisation of the project goes through here.
public enum MPIEnvironment {
    /// True when this process was started by mpirun/mpiexec (or another PMI launcher): it then has
    /// `OMPI_COMM_WORLD_SIZE`, `PMIX_RANK` or `PMI_SIZE` in its environment. False for a plain run,
    /// where MPI still works as a singleton of size 1.
    public static var isLaunchedByMPIRun: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil || env["PMI_SIZE"] != nil
    }

    /// The world size mpirun announced in the environment, without initialising MPI (nil when not
    /// launched by mpirun).
    public static var launchedWorldSize: Int? {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"].flatMap { Int($0) }
    }

    /// The world rank mpirun announced in the environment (nil when not launched by mpirun).
    public static var launchedWorldRank: Int? {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"].flatMap { Int($0) }
    }

    private static let state = Mutex<(initialized: Bool, finalized: Bool)>((false, false))
    private static let serialized = Atomic<Bool>(false)

    /// True when MPI granted MPI_THREAD_SERIALIZED or more: any one thread at a time may call MPI,
    /// which `BackgroundAllReduce` needs. False before `initialize`.
    public static var allowsCallsFromAnyThread: Bool { serialized.load(ordering: .acquiring) }

    /// Initialises MPI with MPI_THREAD_SERIALIZED if it is not yet (idempotent; thread-safe).
    /// Throws if MPI was already finalized or MPI_Init_thread fails.
    public static func initialize() throws {
        try state.withLock { s in
            if s.initialized { return }
            if s.finalized {
                throw CollectiveError(kind: .invalidArgument, call: "MPI_Init_thread", rank: 0,
                                      message: "MPI was already finalized in this process")
            }
            var already: Int32 = 0
            MPI_Initialized(&already)
            var provided: Int32 = 0
            if already == 0 {
                let rc = MPI_Init_thread(nil, nil, cmpi_thread_serialized(), &provided)
                try check(rc, call: "MPI_Init_thread", rank: 0)
            } else {
                MPI_Query_thread(&provided)
            }
            serialized.store(provided >= cmpi_thread_serialized(), ordering: .releasing)
            try check(MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()),
                      call: "MPI_Comm_set_errhandler", rank: 0)
            s.initialized = true
        }
    }

    /// Finalizes MPI (MPI_Finalize) if it was initialised and not yet finalized. Call once at the
    /// end of the process, after every rank's last collective.
    public static func finalize() throws {
        try state.withLock { s in
            guard s.initialized, !s.finalized else { return }
            s.finalized = true
            try check(MPI_Finalize(), call: "MPI_Finalize", rank: 0)
        }
    }

    /// MPI_Error_string for `code`.
    public static func errorString(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &buffer, &length)
        let bytes = buffer.prefix(Int(max(0, length))).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Throws a CollectiveError naming `call` when `rc` is not MPI_SUCCESS.
    static func check(_ rc: Int32, call: String, rank: Int, receivedTag: Int? = nil) throws {
        guard rc != cmpi_success() else { return }
        let kind: CollectiveError.Kind = rc == cmpi_err_truncate() ? .truncated : .mpi
        throw CollectiveError(kind: kind, call: call, rank: rank, message: errorString(rc),
                              mpiCode: rc, receivedTag: receivedTag)
    }
}
