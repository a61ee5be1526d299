// MPILibraryVersion: the MPI library's own version line (MPI_Get_library_version, callable
// before MPI_Init), for the machine line benchmarks print.
import CMPI

extension MPIEnvironment {
    /// First line of `MPI_Get_library_version`, e.g. `Open MPI v4.1.4, package: ...` shortened
    /// to `Open MPI v4.1.4` (empty when the call fails).
    public static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: 8192)
        var length: Int32 = 0
        guard MPI_Get_library_version(&buffer, &length) == 0 else { return "" }
        let text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let first = text.split(separator: "\n").first.map(String.init) ?? text
        return first.split(separator: ",").first.map(String.init) ?? first
    }
}
